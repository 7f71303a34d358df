// opentype.js 2.x ships no type declarations; this covers the part text-metrics.ts uses.
declare module 'opentype.js' {
  export interface Glyph {
    index: number;
    advanceWidth?: number;
  }
  export interface Position {
    getKerningTables(script: string, language?: string): unknown[] | undefined;
    getKerningValue(tables: unknown[], leftIndex: number, rightIndex: number): number;
  }
  export interface Font {
    unitsPerEm: number;
    position: Position;
    charToGlyph(char: string): Glyph;
    getKerningValue(left: Glyph, right: Glyph): number;
  }
  export function parse(buffer: ArrayBuffer): Font;
  const opentype: { parse: typeof parse };
  export default opentype;
}
