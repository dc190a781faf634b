// Owns the public face of TSIG (RFC 8945): what transfers, NOTIFY and updates import.
export { DEFAULT_FUDGE, Keyring, signRequest, TSIG_ALGORITHM_IDS, TsigError, tsigErrorText, tsigKey, tsigSpace, TsigSigner, TsigVerifier, verifyRequest } from './tsig.ts';
export type { TsigAlgorithmId, TsigCheck, TsigKey, TsigKeySpec, TsigVerdict } from './tsig.ts';
