/** The release of Epara: the gateway's OpenAPI and Open Inference Protocol metadata, the workers' service version, `epara --version`. Kept equal to package.json's (a spec checks). */
export const EPARA_VERSION = '0.1.0';
