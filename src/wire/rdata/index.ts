// Owns the list of every RDATA codec the registry installs (types not listed here use the RFC 3597 generic form).
import type { DunlinCodec } from './fields.ts';
import { basicCodecs } from './basic.ts';
import { locCodec } from './loc.ts';
import { miscCodecs } from './misc.ts';
import { svcbCodecs } from './svcb.ts';

export type { DunlinCodec } from './fields.ts';

export const allCodecs: readonly DunlinCodec[] = [...basicCodecs, locCodec, ...svcbCodecs, ...miscCodecs];
