// Owns problem collection for zone loading: file:line:col positions, severities and the error cap.
import type { ZoneProblem } from './types.ts';

/** Errors listed per zone before "and N more" (named-checkzone stops at the first; Knot lists all). */
export const MAX_LISTED_ERRORS = 100;

/** Collects errors and warnings in the order found; keeps at most `cap` of each and counts the rest. */
export class Problems {
  readonly errors: ZoneProblem[] = [];
  readonly warnings: ZoneProblem[] = [];
  #errorCount = 0;
  #warningCount = 0;
  readonly #cap: number;

  constructor(cap = MAX_LISTED_ERRORS) {
    this.#cap = cap;
  }

  get errorCount(): number {
    return this.#errorCount;
  }

  error(file: string, line: number, col: number, message: string): void {
    this.#errorCount++;
    if (this.errors.length < this.#cap) this.errors.push({ severity: 'error', file, line, col, message });
  }

  warning(file: string, line: number, col: number, message: string): void {
    this.#warningCount++;
    if (this.warnings.length < this.#cap) this.warnings.push({ severity: 'warning', file, line, col, message });
  }

  /** Final lists, with an "and N more" line when the cap was reached. */
  finish(file: string): { errors: ZoneProblem[]; warnings: ZoneProblem[] } {
    const errors = this.errors.slice();
    const warnings = this.warnings.slice();
    if (this.#errorCount > errors.length) {
      errors.push({ severity: 'error', file, line: 0, col: 0, message: `and ${this.#errorCount - errors.length} more errors` });
    }
    if (this.#warningCount > warnings.length) {
      warnings.push({ severity: 'warning', file, line: 0, col: 0, message: `and ${this.#warningCount - warnings.length} more warnings` });
    }
    return { errors, warnings };
  }
}

/** Where each parsed record came from, in parallel arrays (one small object per record would cost ~40 MB per million). */
export class Positions {
  readonly files: string[] = [];
  readonly #fileIndex = new Map<string, number>();
  #file: number[] = [];
  #line: number[] = [];
  #col: number[] = [];

  fileId(file: string): number {
    let id = this.#fileIndex.get(file);
    if (id === undefined) {
      id = this.files.length;
      this.files.push(file);
      this.#fileIndex.set(file, id);
    }
    return id;
  }

  push(fileId: number, line: number, col: number): void {
    this.#file.push(fileId);
    this.#line.push(line);
    this.#col.push(col);
  }

  get length(): number {
    return this.#line.length;
  }

  get(i: number): { file: string; line: number; col: number } | undefined {
    const f = this.#file[i];
    if (f === undefined) return undefined;
    return { file: this.files[f]!, line: this.#line[i]!, col: this.#col[i]! };
  }

  clear(): void {
    this.#file = [];
    this.#line = [];
    this.#col = [];
  }
}
