/**
 * Data enters generated code only as syntax trees: every value from the manifest (a name, a default, a
 * shape) becomes a TypeScript literal built with `ts.factory` and printed by the compiler's own printer,
 * so quoting and escaping are TypeScript's, never ours.
 */
import { printNode, ts } from 'ts-morph';

const f = ts.factory;

/** A JSON-like value the generator turns into a literal. `undefined` members of objects are left out. */
export type LiteralValue =
  | string
  | number
  | boolean
  | undefined
  | readonly LiteralValue[]
  | { readonly [key: string]: LiteralValue };

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export const isIdentifier = (name: string): boolean => IDENTIFIER.test(name);

/** A property name: bare when it is an identifier (`input_ids`), quoted otherwise (`'offramp.patience'`). */
export function propertyName(name: string): ts.PropertyName {
  return isIdentifier(name) ? f.createIdentifier(name) : f.createStringLiteral(name, true);
}

function numberLiteral(value: number): ts.Expression {
  if (Number.isNaN(value)) return f.createIdentifier('NaN');
  if (!Number.isFinite(value)) {
    const infinity = f.createIdentifier('Infinity');
    return value > 0 ? infinity : f.createPrefixUnaryExpression(ts.SyntaxKind.MinusToken, infinity);
  }
  if (value < 0 || Object.is(value, -0))
    return f.createPrefixUnaryExpression(ts.SyntaxKind.MinusToken, f.createNumericLiteral(-value));
  return f.createNumericLiteral(value);
}

/** The literal expression of a value; objects and arrays of objects are laid out one member per line. */
export function literal(value: LiteralValue): ts.Expression {
  if (value === undefined) return f.createIdentifier('undefined');
  if (typeof value === 'string') return f.createStringLiteral(value, true);
  if (typeof value === 'number') return numberLiteral(value);
  if (typeof value === 'boolean') return value ? f.createTrue() : f.createFalse();
  if (Array.isArray(value)) {
    const items = value as readonly LiteralValue[];
    const multiLine = items.some((v) => typeof v === 'object' && v !== null);
    return f.createArrayLiteralExpression(items.map(literal), multiLine);
  }
  const members = Object.entries(value as { readonly [key: string]: LiteralValue })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => f.createPropertyAssignment(propertyName(k), literal(v)));
  return f.createObjectLiteralExpression(members, true);
}

/** Prints a node as source text, for ts-morph initializers and statements. */
export const print = (node: ts.Node): string => printNode(node);

/** `<value> as const`, so constant tables keep their literal types. */
export const asConst = (value: LiteralValue): string =>
  print(f.createAsExpression(literal(value), f.createTypeReferenceNode('const')));

/** `return this.<method>(<literal>, <argument>);` — a statement that passes a manifest name along. */
export function returnThisCall(method: string, name: string, argument: string): string {
  return print(
    f.createReturnStatement(
      f.createCallExpression(f.createPropertyAccessExpression(f.createThis(), method), undefined, [
        literal(name),
        f.createIdentifier(argument),
      ]),
    ),
  );
}

/** Doc comment text must not close the comment it sits in. */
export const docText = (text: string): string => text.replaceAll('*/', '*\\/');
