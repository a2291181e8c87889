import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface PhotoSource { name: string; path: string; licence: string; heldOut: boolean }

/**
 * Held out of every inpainter training run, for the quality bench: a fixed list, so that installing another
 * wallpaper package never moves a photo the shipped model was trained on into the test set.
 */
const HELD_OUT = new Set([
  'lomiri-greentock_by_Peter_Nerlich', 'lomiri-Wine_by_Jakkub_Mede', 'mate-GreenMeadow', 'mate-YellowFlower',
  'plasma-EveningGlow', 'plasma-OneStandsOut', 'plasma-Volna',
]);

/**
 * Files in /usr/share/backgrounds that are graphic designs or renders, not photographs (checked by eye on
 * 2026-11-25): lomiri-wallpapers-16.04's patterns, -20.04's Fossa and Painting-Colors, and all of
 * ukui-wallpapers. gnome-backgrounds, sway-backgrounds and desktop-base hold no photographs at all.
 */
const NOT_PHOTOS = /analogpattern|Picture_|Fossa|Painting-Colors|2004default|firstgeneration|rhythm|string|the-mouse/;

/** The photographs in Debian's wallpaper packages, with their licences (from each package's copyright file). */
export function photoSources(): PhotoSource[] {
  const found: Omit<PhotoSource, 'heldOut'>[] = [];
  const lomiri = '/usr/share/backgrounds';
  if (existsSync(lomiri)) {
    for (const f of readdirSync(lomiri).filter((f) => f.endsWith('.jpg'))) {
      if (NOT_PHOTOS.test(f)) continue;
      const pkg = /Kleiber|Infinite-Sea/.test(f) ? 'lomiri-wallpapers-20.04' : 'lomiri-wallpapers-16.04';
      found.push({ name: `lomiri-${f.replace(/\.jpg$/, '')}`, path: join(lomiri, f), licence: `CC-BY-SA-4.0 / CC-BY-4.0 per file (${pkg})` });
    }
  }
  const mate = '/usr/share/backgrounds/mate/nature';
  if (existsSync(mate)) {
    for (const f of readdirSync(mate).filter((f) => f.endsWith('.jpg'))) {
      found.push({ name: `mate-${f.replace(/\.jpg$/, '')}`, path: join(mate, f), licence: 'GPL-2+/CC per file (mate-backgrounds)' });
    }
  }
  const plasma = '/usr/share/wallpapers';
  if (existsSync(plasma)) {
    for (const d of readdirSync(plasma)) {
      const images = join(plasma, d, 'contents', 'images');
      if (!existsSync(images)) continue;
      const jpgs = readdirSync(images).filter((f) => f.endsWith('.jpg'));
      if (jpgs.length === 0) continue; // the PNG wallpapers are renders, not photos
      const largest = jpgs.sort((a, b) => statSync(join(images, b)).size - statSync(join(images, a)).size)[0]!;
      found.push({ name: `plasma-${d}`, path: join(images, largest), licence: 'CC-BY-SA / LGPL per wallpaper (plasma-workspace-wallpapers)' });
    }
  }
  found.sort((a, b) => a.name.localeCompare(b.name));
  return found.map((p) => ({ ...p, heldOut: HELD_OUT.has(p.name) }));
}
