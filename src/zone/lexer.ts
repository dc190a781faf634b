// Owns master-file tokenisation (RFC 1035 §5.1): logical entries, parentheses, comments, quotes, escapes, positions.

/** One token with its 1-based position. `text` is a raw slice of the source: escapes are NOT processed. */
export interface Token {
  readonly text: string;
  /** True when written in double quotes (the quotes are not part of `text`). */
  readonly quoted: boolean;
  readonly line: number;
  readonly col: number;
}

/** One logical entry: the tokens of one line, or of several lines joined by parentheses. */
export interface Entry {
  readonly tokens: Token[];
  /** The entry's first physical line starts with white space: the owner is the previous owner (RFC 1035 §5.1). */
  readonly blankOwner: boolean;
  readonly line: number;
}

export interface LexProblem {
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

/** Longest single token: an RDATA is at most 65535 octets (RFC 1035 §3.2.1), so no sane token is longer. */
export const MAX_TOKEN_LENGTH = 65535;
/** Most tokens in one entry: each token is at least one RDATA octet, plus owner/TTL/class/type. */
export const MAX_ENTRY_TOKENS = 65535 + 8;
/** Most physical lines one parenthesised entry may span before it is reported as a runaway "(". */
export const MAX_ENTRY_LINES = 10000;

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const SEMI = 0x3b;
const LPAREN = 0x28;
const RPAREN = 0x29;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Character classes inside an unquoted token. */
const C_PLAIN = 0;
const C_STOP = 1; // white space or a special character: ends the token
const C_HIGH = 2; // above 0x7E: becomes \DDD
const C_ESCAPE = 3;
const CHAR_CLASS = new Uint8Array(256);
for (let c = 0x7f; c < 0x100; c++) CHAR_CLASS[c] = C_HIGH;
for (const c of [SPACE, TAB, LF, CR, SEMI, LPAREN, RPAREN, QUOTE]) CHAR_CLASS[c] = C_STOP;
CHAR_CLASS[BACKSLASH] = C_ESCAPE;

/**
 * Octets above 0x7E become `\DDD` (RFC 1035 §5.1) so a raw octet means the same byte in a name and
 * in a character-string, whatever a codec does with non-ASCII characters. Zone files are read as
 * latin1 (one character per octet), so this is exact for every byte.
 */
function escapeHigh(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    const at = i;
    if (c === BACKSLASH && i + 1 < text.length) {
      // `\X`: an escaped high octet is that octet too; any other escape is left alone.
      c = text.charCodeAt(++i);
      if (c <= 0x7e || c > 0xff) continue;
    }
    if (c > 0x7e && c <= 0xff) {
      out += text.slice(from, at) + '\\' + String(c).padStart(3, '0');
      from = i + 1;
    }
  }
  return out + text.slice(from);
}

/**
 * A hand-written scanner over one file's text. `next()` returns the next non-empty entry or null
 * at the end. On a syntax error it reports once and resynchronises at the next physical line
 * (outside any parentheses), so that every error in a file can be listed in one run.
 */
export class Lexer {
  readonly #src: string;
  readonly #len: number;
  #pos = 0;
  #line = 1;
  #lineStart = 0;
  readonly #report: (p: LexProblem) => void;

  constructor(src: string, report: (p: LexProblem) => void) {
    this.#src = src;
    this.#len = src.length;
    this.#report = report;
    // A UTF-8 byte order mark, decoded either as UTF-8 (U+FEFF) or as latin1 (three characters).
    if (src.charCodeAt(0) === 0xfeff) this.#pos = this.#lineStart = 1;
    else if (src.startsWith('\u00ef\u00bb\u00bf')) this.#pos = this.#lineStart = 3;
  }

  get line(): number {
    return this.#line;
  }

  /** The cursor; between entries it is at the start of a physical line (the parser's fast path reads from there). */
  get pos(): number {
    return this.#pos;
  }

  /** The caller consumed the physical line starting at `pos`; `next` is just after its line feed, or the end of the text. */
  consumedLine(next: number): void {
    if (next > this.#pos && this.#src.charCodeAt(next - 1) === LF) {
      this.#line++;
      this.#lineStart = next;
    }
    this.#pos = next;
  }

  #col(pos: number): number {
    return pos - this.#lineStart + 1;
  }

  /** Skips to just after the next line feed (or to the end). */
  #skipLine(): void {
    const nl = this.#src.indexOf('\n', this.#pos);
    if (nl < 0) {
      this.#pos = this.#len;
    } else {
      this.#pos = nl + 1;
      this.#line++;
      this.#lineStart = this.#pos;
    }
  }

  next(): Entry | null {
    const src = this.#src;
    const len = this.#len;
    for (;;) {
      if (this.#pos >= len) return null;
      const startLine = this.#line;
      const first = src.charCodeAt(this.#pos);
      const blankOwner = first === SPACE || first === TAB;
      const tokens: Token[] = [];
      let depth = 0;
      let parenLine = 0;
      let parenCol = 0;
      let failed = false;
      // False only when the failure happened just after a line feed was consumed.
      let skipRest = true;
      // Scan one logical entry.
      scan: while (this.#pos < len) {
        const c = src.charCodeAt(this.#pos);
        if (c === SPACE || c === TAB || c === CR) {
          this.#pos++;
          continue;
        }
        if (c === LF) {
          this.#pos++;
          this.#line++;
          this.#lineStart = this.#pos;
          if (depth === 0) break;
          if (this.#line - parenLine > MAX_ENTRY_LINES) {
            this.#report({ line: parenLine, col: parenCol, message: `"(" opened here is still open ${MAX_ENTRY_LINES} lines later; expected ")"` });
            failed = true;
            skipRest = false;
            break;
          }
          continue;
        }
        if (c === SEMI) {
          // Comment to the end of the physical line; the newline itself is handled above.
          const nl = src.indexOf('\n', this.#pos);
          this.#pos = nl < 0 ? len : nl;
          continue;
        }
        if (c === LPAREN) {
          if (depth > 0) {
            // RFC 1035 §5.1 parentheses group lines; nesting them has no meaning (Knot rejects it too).
            this.#report({ line: this.#line, col: this.#col(this.#pos), message: `nested "(": expected ")" to close the "(" at line ${parenLine} first` });
            failed = true;
            break;
          }
          depth = 1;
          parenLine = this.#line;
          parenCol = this.#col(this.#pos);
          this.#pos++;
          continue;
        }
        if (c === RPAREN) {
          if (depth === 0) {
            this.#report({ line: this.#line, col: this.#col(this.#pos), message: 'unbalanced ")": no "(" is open' });
            failed = true;
            break;
          }
          depth = 0;
          this.#pos++;
          continue;
        }
        if (tokens.length >= MAX_ENTRY_TOKENS) {
          this.#report({ line: this.#line, col: this.#col(this.#pos), message: `more than ${MAX_ENTRY_TOKENS} tokens in one entry` });
          failed = true;
          break;
        }
        const line = this.#line;
        const col = this.#col(this.#pos);
        let high = false;
        if (c === QUOTE) {
          const start = ++this.#pos;
          for (;;) {
            if (this.#pos >= len) {
              this.#report({ line, col, message: 'unterminated quoted string: expected a closing \'"\' before the end of the file' });
              failed = true;
              break scan;
            }
            const q = src.charCodeAt(this.#pos);
            if (q === QUOTE) break;
            if (q > 0x7e) high = true;
            if (q === LF) {
              this.#report({ line, col, message: 'unterminated quoted string: expected a closing \'"\' before the end of the line' });
              failed = true;
              break scan;
            }
            this.#pos += q === BACKSLASH && this.#pos + 1 < len && src.charCodeAt(this.#pos + 1) !== LF ? 2 : 1;
          }
          if (this.#pos - start > MAX_TOKEN_LENGTH) {
            this.#report({ line, col, message: `quoted string longer than ${MAX_TOKEN_LENGTH} characters` });
            failed = true;
            break;
          }
          const qt = src.slice(start, this.#pos);
          tokens.push({ text: high ? escapeHigh(qt) : qt, quoted: true, line, col });
          this.#pos++;
          continue;
        }
        // Unquoted token: up to white space or a special character; `\X` keeps X literal.
        const start = this.#pos;
        // A local cursor and one table load per character: this loop sees nearly every octet of a zone.
        let p = start;
        for (;;) {
          if (p >= len) break;
          const t = src.charCodeAt(p);
          const k = t < 0x100 ? CHAR_CLASS[t]! : C_HIGH;
          if (k === C_PLAIN) {
            p++;
            continue;
          }
          if (k === C_STOP) break;
          if (k === C_HIGH) {
            high = true;
            p++;
            continue;
          }
          // Backslash.
          const n = p + 1 < len ? src.charCodeAt(p + 1) : -1;
          if (n === -1 || n === LF || n === CR) {
            this.#pos = p;
            this.#report({ line, col: this.#col(p), message: 'backslash at the end of a line: expected an escaped character' });
            failed = true;
            break scan;
          }
          if (n > 0x7e) high = true;
          p += 2;
        }
        this.#pos = p;
        if (this.#pos - start > MAX_TOKEN_LENGTH) {
          this.#report({ line, col, message: `token longer than ${MAX_TOKEN_LENGTH} characters` });
          failed = true;
          break;
        }
        const ut = src.slice(start, this.#pos);
        tokens.push({ text: high ? escapeHigh(ut) : ut, quoted: false, line, col });
      }
      if (failed) {
        // Resynchronise: drop the rest of this physical line and start afresh outside parentheses.
        if (skipRest) this.#skipLine();
        continue;
      }
      if (depth > 0 && this.#pos >= len) {
        this.#report({ line: parenLine, col: parenCol, message: 'unbalanced "(": expected ")" before the end of the file' });
        continue;
      }
      if (tokens.length === 0) continue;
      return { tokens, blankOwner, line: startLine };
    }
  }
}
