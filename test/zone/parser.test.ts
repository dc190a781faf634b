// Owns unit tests of the master-file lexer, parser and directives (RFC 1035 §5, RFC 2308, BIND $GENERATE).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RRType } from '../../src/wire/constants.ts';
import { Name } from '../../src/wire/name.ts';
import { rdataToText } from '../../src/wire/registry.ts';
import { Lexer } from '../../src/zone/lexer.ts';
import { loadZoneFile, parseTtl, parseZoneText, MAX_TTL } from '../../src/zone/index.ts';
import { parseTemplate } from '../../src/zone/generate.ts';

const origin = Name.fromText('example.com.');
const head = '$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n';

function parse(text: string) {
  return parseZoneText(text, { origin, file: 't.zone' });
}

function lines(text: string): string[] {
  const r = parse(text);
  assert.deepEqual(r.errors, [], JSON.stringify(r.errors));
  return r.records.map((rr) => `${rr.name.toText()} ${rr.ttl} ${rr.type} ${rdataToText(rr.type, rr.rdata)}`);
}

function lex(text: string) {
  const problems: string[] = [];
  const lx = new Lexer(text, (p) => problems.push(`${p.line}:${p.col} ${p.message}`));
  const entries = [];
  for (let e = lx.next(); e; e = lx.next()) entries.push(e);
  return { entries, problems };
}

test('lexer: positions, quotes kept raw, escapes keep specials literal, comments anywhere', () => {
  const { entries, problems } = lex('a\\ b "x\\"y;z" c\\;d ; comment\n\tq (r ; c\n s) t\n');
  assert.deepEqual(problems, []);
  assert.equal(entries.length, 2);
  assert.deepEqual(entries[0]!.tokens.map((t) => [t.text, t.quoted, t.line, t.col]), [
    ['a\\ b', false, 1, 1], ['x\\"y;z', true, 1, 6], ['c\\;d', false, 1, 15],
  ]);
  assert.equal(entries[0]!.blankOwner, false);
  assert.equal(entries[1]!.blankOwner, true);
  assert.deepEqual(entries[1]!.tokens.map((t) => `${t.text}@${t.line}:${t.col}`), ['q@2:2', 'r@2:5', 's@3:2', 't@3:5']);
});

test('lexer: CRLF, BOM (UTF-8 and latin1-decoded), tabs, final line without newline', () => {
  for (const bom of ['\ufeff', '\u00ef\u00bb\u00bf']) {
    const { entries, problems } = lex(`${bom}a\tA\t1.2.3.4\r\n\tTXT "x"\r\nb A 5.6.7.8`);
    assert.deepEqual(problems, []);
    assert.deepEqual(entries.map((e) => e.tokens.map((t) => t.text).join('|')), ['a|A|1.2.3.4', 'TXT|x', 'b|A|5.6.7.8']);
    assert.equal(entries[0]!.tokens[0]!.col, 1);
    assert.equal(entries[2]!.line, 3);
  }
});

test('lexer: bad input is reported with a position and scanning resumes at the next line', () => {
  const { entries, problems } = lex('a TXT "open\nb A 1.2.3.4\nc ) x\nd ( ( e\nf A 1\ng \\\n');
  assert.deepEqual(problems, [
    '1:7 unterminated quoted string: expected a closing \'"\' before the end of the line',
    '3:3 unbalanced ")": no "(" is open',
    '4:5 nested "(": expected ")" to close the "(" at line 4 first',
    '6:3 backslash at the end of a line: expected an escaped character',
  ]);
  assert.deepEqual(entries.map((e) => e.tokens[0]!.text), ['b', 'f']);
});

test('lexer: octets above 0x7E become \\DDD so names and strings agree on bytes', () => {
  const { entries } = lex('caf\u00e9 TXT "\u00c3\u00a9" \\\u00ff\n');
  assert.deepEqual(entries[0]!.tokens.map((t) => t.text), ['caf\\233', 'TXT', '\\195\\169', '\\255']);
});

test('TTL text: seconds and units in any case, overflow and junk rejected', () => {
  assert.equal(parseTtl('3600'), 3600);
  assert.equal(parseTtl('1h30m'), 5400);
  assert.equal(parseTtl('2w'), 1209600);
  assert.equal(parseTtl('1W2D'), 777600);
  assert.equal(parseTtl('1d2h3m4s'), 93784);
  assert.equal(parseTtl(String(MAX_TTL)), MAX_TTL);
  for (const bad of ['2147483648', '99999999999999999999', '3551w', '1x', 'h', '1h30', '']) {
    assert.equal(typeof parseTtl(bad), 'string', bad);
  }
});

test('owners: blank owner repeats the previous one, @ is the origin, relative and absolute names', () => {
  assert.deepEqual(lines(head + 'x A 192.0.2.2\n\tAAAA ::1\n@ TXT "a"\ny.example.com. A 192.0.2.3\nz.sub A 192.0.2.4\n').slice(3), [
    'x.example.com. 300 1 192.0.2.2',
    'x.example.com. 300 28 ::1',
    'example.com. 300 16 "a"',
    'y.example.com. 300 1 192.0.2.3',
    'z.sub.example.com. 300 1 192.0.2.4',
  ]);
});

test('TTL defaulting: $TTL, else last explicit TTL (warned once), else SOA MINIMUM (warned)', () => {
  // No $TTL: the SOA takes its own MINIMUM and that becomes the default (BIND behaviour).
  let r = parse('$ORIGIN example.com.\n@ SOA ns hm 1 2 3 4 77\n@ NS ns\nns A 192.0.2.1\n');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.records.map((x) => x.ttl), [77, 77, 77]);
  assert.match(r.warnings[0]!.message, /SOA MINIMUM 77/);
  // Last explicit TTL (RFC 1035 §5.1) when there is no $TTL.
  r = parse('$ORIGIN example.com.\n@ 900 SOA ns hm 1 2 3 4 77\n@ NS ns\nns 60 A 192.0.2.1\nnt A 192.0.2.2\n');
  assert.deepEqual(r.records.map((x) => x.ttl), [900, 900, 60, 60]);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0]!.message, /last explicit TTL 900/);
  // Records before the SOA without any TTL take the SOA MINIMUM, with one warning.
  r = parse('$ORIGIN example.com.\nns A 192.0.2.1\n@ SOA ns hm 1 2 3 4 77\n');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.records.map((x) => x.ttl), [77, 77]);
  // $TTL wins over an earlier explicit TTL.
  assert.deepEqual(parse('$ORIGIN example.com.\na 5 A 192.0.2.1\n$TTL 9\nb A 192.0.2.2\n').records.map((x) => x.ttl), [5, 9]);
});

test('TTL and class in either order; other classes and meta types are errors', () => {
  assert.deepEqual(lines(head + 'a IN 60 A 192.0.2.2\nb 60 IN A 192.0.2.3\nc in 1m a 192.0.2.4\nd CLASS1 A 192.0.2.5\n').slice(3).map((l) => l.split(' ')[1]), ['60', '60', '60', '300']);
  const r = parse(head + 'a CH A 192.0.2.2\nb HS TXT "x"\nc CLASS3 A 192.0.2.2\nd OPT \\# 0\ne TYPE0 \\# 0\n');
  assert.deepEqual(r.errors.map((e) => `${e.line}:${e.col}`), ['6:3', '7:3', '8:3', '9:3', '10:3']);
});

test('RFC 3597: \\# for known and unknown types, TYPEnnn mnemonics', () => {
  assert.deepEqual(lines(head + 'a TYPE1 \\# 4 c0000202\nb A \\# 4 C0 00 02 03\nc TYPE65280 \\# 3 ( 01\n 0203 )\nd TYPE65281 \\# 0\n').slice(3), [
    'a.example.com. 300 1 192.0.2.2',
    'b.example.com. 300 1 192.0.2.3',
    'c.example.com. 300 65280 \\# 3 010203',
    'd.example.com. 300 65281 \\# 0',
  ]);
});

test('escapes: \\DDD and \\X in owners, 63-octet labels, 255-octet names, beyond is an error', () => {
  const l63 = 'a'.repeat(63);
  const r = lines(head + `a\\.b\\032c A 192.0.2.9\n${l63} A 192.0.2.8\n${l63}.${l63}.${l63}.${'b'.repeat(49)} A 192.0.2.7\n`).slice(3);
  assert.equal(r[0], 'a\\.b\\032c.example.com. 300 1 192.0.2.9');
  assert.equal(Name.fromText(r[2]!.split(' ')[0]!).wire.length, 255);
  const bad = parse(head + `${l63}a A 192.0.2.1\n${l63}.${l63}.${l63}.${'b'.repeat(50)} A 192.0.2.7\nx\\256 A 192.0.2.1\n`);
  assert.deepEqual(bad.errors.map((e) => `${e.line}:${e.col}`), ['6:1', '7:1', '8:1']);
});

test('$ORIGIN: relative to the current origin; $INCLUDE restores origin, $TTL and owner', () => {
  const files: Record<string, string> = { '/z/inc/a.inc': '$ORIGIN in\n$TTL 5\nx A 192.0.2.5\n' };
  const r = parseZoneText(head + '$ORIGIN sub\ny A 192.0.2.6\n$INCLUDE inc/a.inc\n\tA 192.0.2.7\nz A 192.0.2.8\n', {
    origin, file: '/z/main.zone', readFile: (p) => {
      const t = files[p];
      if (t === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return t;
    },
  });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.records.slice(3).map((x) => `${x.name.toText()} ${x.ttl}`), [
    'y.sub.example.com. 300', 'x.in.sub.example.com. 5', 'y.sub.example.com. 300', 'z.sub.example.com. 300',
  ]);
  assert.equal(r.positions.get(4)!.file, '/z/inc/a.inc');
  assert.equal(r.positions.get(4)!.line, 3);
});

test('$INCLUDE: paths relative to the including file, three levels in subdirectories, loops and depth', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dunlin-zone-'));
  try {
    mkdirSync(join(dir, 'a/b'), { recursive: true });
    writeFileSync(join(dir, 'main.zone'), head + '$INCLUDE a/one.inc\n');
    writeFileSync(join(dir, 'a/one.inc'), 'one A 192.0.2.11\n$INCLUDE b/two.inc two\n');
    writeFileSync(join(dir, 'a/b/two.inc'), '@ A 192.0.2.12\n$INCLUDE ../../three.inc\n');
    writeFileSync(join(dir, 'three.inc'), 'three TXT "3"\n');
    const ok = loadZoneFile(join(dir, 'main.zone'), origin);
    assert.deepEqual(ok.errors, []);
    assert.deepEqual(ok.records.slice(3).map((x) => x.name.toText()), ['one.example.com.', 'two.example.com.', 'three.two.example.com.']);

    // 17 nested files: depth 16 is allowed, the 17th include is an error.
    for (let i = 0; i <= 17; i++) writeFileSync(join(dir, `d${i}.inc`), `d${i} TXT "x"\n$INCLUDE d${i + 1}.inc\n`);
    writeFileSync(join(dir, 'deep.zone'), head + '$INCLUDE d1.inc\n');
    const deep = loadZoneFile(join(dir, 'deep.zone'), origin);
    assert.equal(deep.errors.length, 1);
    assert.match(deep.errors[0]!.message, /nested more than 16 deep/);
    assert.equal(deep.errors[0]!.file, join(dir, 'd16.inc'));
    assert.deepEqual([deep.errors[0]!.line, deep.errors[0]!.col], [2, 10]);

    writeFileSync(join(dir, 'self.zone'), head + '$INCLUDE self.zone\n');
    const self = loadZoneFile(join(dir, 'self.zone'), origin);
    assert.match(self.errors[0]!.message, /\$INCLUDE loop: .*self\.zone -> .*self\.zone/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('$INCLUDE without file access is an error, not a crash', () => {
  const r = parse(head + '$INCLUDE x.inc\n');
  assert.match(r.errors[0]!.message, /no file access/);
});

test('$GENERATE: templates, modifiers, steps, several RDATA tokens, limits', () => {
  const tpl = parseTemplate('a$-${1}-${2,3,x}-${0,4,X}-${-1,0,o}-${0,7,n}-$$-\\$');
  assert.equal(typeof tpl, 'object');
  if (typeof tpl === 'string') return;
  assert.equal(tpl.expand(255), 'a255-256-101-00FF-376-f.f.0.0-$-\\$');
  assert.equal(tpl.expand(1024).split('-')[5], '0.0.4.0');
  assert.deepEqual(lines(head + '$GENERATE 1-5/2 h$ 60 IN MX ${10} mx$\n').slice(3), [
    'h1.example.com. 60 15 11 mx1.example.com.',
    'h3.example.com. 60 15 13 mx3.example.com.',
    'h5.example.com. 60 15 15 mx5.example.com.',
  ]);
  // Several RHS tokens (a Knot extension; BIND takes one): each is substituted.
  assert.deepEqual(lines(head + '$GENERATE 7-7 s$ TXT "a $" b$\n').slice(3), ['s7.example.com. 300 16 "a 7" "b7"']);
  // The cap is per zone: 10 records, then 999,995 more are too many together.
  const capped = parse(head + '$GENERATE 1-10 a$ A 192.0.2.1\n$GENERATE 1-999995 b$ A 192.0.2.1\n');
  assert.deepEqual(capped.errors.map((e) => `${e.line}:${e.col}`), ['7:11']);
  assert.match(capped.errors[0]!.message, /1000005 generated records; at most 1000000/);
  for (const bad of ['$GENERATE 1-2\n', '$GENERATE x-2 a$ A 1.2.3.4\n', '$GENERATE 1-2/0 a$ A 1.2.3.4\n', '$GENERATE 1-2 a${1,2,3,4} A 1.2.3.4\n', '$GENERATE 1-2 a$ A\n']) {
    assert.equal(parse(head + bad).errors.length, 1, bad);
  }
});

test('type mnemonics are case-insensitive and the parser never throws on garbage', () => {
  assert.equal(lines(head + 'a mx 1 b\n')[3], 'a.example.com. 300 15 1 b.example.com.');
  const junk = ['(', ')', '"', '\\', '$', '$ORIGIN', '$TTL', '@', '@ @ @', 'a 1 2 3 4', '\u0000\u00ff', 'a TXT "\\', 'a A (', 'a SOA', 'a LOC', 'a SVCB 1 . alpn', 'a NSEC3 1'];
  for (const j of junk) {
    const r = parse(head + j + '\n');
    assert.ok(r.errors.length > 0, j);
    assert.equal(r.records.length, 0);
  }
  assert.equal(RRType.SOA, 6);
});

test('RDATA errors point at the token the codec names, or just after the last one when RDATA ends early', () => {
  let r = parse(head + 'a MX 10\n');
  assert.deepEqual(r.errors.map((e) => `${e.line}:${e.col}`), ['6:8']);
  r = parse(head + 'a MX 10 "x" y\n');
  assert.equal(r.errors.length, 1);
  r = parse(head + 'a SOA ns hm 1 2 3 4 x\n');
  assert.deepEqual(r.errors.map((e) => `${e.line}:${e.col}`), ['6:21']);
  r = parse(head + 'a ( A\n  192.0.2.300 )\n');
  assert.deepEqual(r.errors.map((e) => `${e.line}:${e.col}`), ['7:3']);
});
