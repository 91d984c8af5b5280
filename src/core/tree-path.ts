/**
 * Moved to `model/tree-path.ts` (the path grammar, both forms); this re-export keeps the old
 * import path working until every importer names the new one (it goes when the model/ move lands).
 */
export * from "../model/tree-path.js";
