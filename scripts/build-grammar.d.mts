// Types for build-grammar.mjs, so TypeScript tests can import it.
export declare const grammarFile: string;
export declare const generatedFile: string;
/** Compiles grammar/dtab.ne (or the given source) to the text of the generated parser module. */
export declare function compileGrammar(source?: string): string;
