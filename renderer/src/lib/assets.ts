import type { EngineClient } from '@engine/api';

export interface LoadedAsset {
  url: string;
  image: HTMLImageElement;
}

/** Asset bytes are immutable (content-addressed), so each hash is fetched and decoded once per session. */
export class AssetCache {
  private readonly cache = new Map<string, Promise<LoadedAsset>>();
  constructor(private readonly client: EngineClient) {}

  get(hash: string): Promise<LoadedAsset> {
    let hit = this.cache.get(hash);
    if (!hit) {
      hit = this.load(hash);
      hit.catch(() => this.cache.delete(hash));
      this.cache.set(hash, hit);
    }
    return hit;
  }

  private async load(hash: string): Promise<LoadedAsset> {
    const { bytes, mime } = await this.client.call('asset.get', { hash });
    const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mime }));
    const image = new Image();
    image.src = url;
    await image.decode();
    return { url, image };
  }
}
