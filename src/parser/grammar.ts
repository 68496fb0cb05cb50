/**
 * The `.ramp` grammar as a Chevrotain `CstParser`, built once and reused (Chevrotain parsers are reset per
 * input). Error recovery is on, so one run reports every syntax error it can resynchronise past. The rule
 * names here are the CST node names in `generated/cst-types.ts`.
 */
import { CstParser, EOF, type IParserErrorMessageProvider, type TokenType } from 'chevrotain';
import * as T from './tokens.js';

/** Errors are encoded as JSON, so the converter can build structured diagnostics (expected set, did-you-mean). */
export interface ParseErrorPayload {
  readonly kind: 'mismatch' | 'no-viable' | 'early-exit' | 'trailing';
  readonly expected: readonly string[];
  readonly rule?: string;
}

function labelOf(token: TokenType): string {
  return token.LABEL ?? token.name;
}

function uniqueLabels(paths: readonly (readonly (readonly TokenType[])[])[]): string[] {
  const labels = new Set<string>();
  for (const alternatives of paths)
    for (const path of alternatives) if (path[0]) labels.add(labelOf(path[0]));
  return [...labels];
}

/**
 * What may start the next item of a block. When a block's closing brace is expected, these were also
 * acceptable, and saying so (with did-you-mean) beats "expected '}'".
 */
const BLOCK_ITEMS: Readonly<Record<string, readonly string[]>> = {
  model: ["'backbone'", "'exits'", "'policy'", "'target'", "'sdk'", "'calibration'"],
  backbone: ["'layers'", "'inputs'", "'outputs'"],
  exits: ["'pool'", "'head'", "'weights'"],
  paramBlock: ['a name'],
  weights: ['a name'],
};

function expectedAt(expected: TokenType, ruleName: string): string[] {
  const label = expected === EOF ? 'end of file' : labelOf(expected);
  return expected === T.RBrace ? [...(BLOCK_ITEMS[ruleName] ?? []), label] : [label];
}

const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, ruleName }) =>
    JSON.stringify({
      kind: 'mismatch',
      expected: expectedAt(expected, ruleName),
      rule: ruleName,
    } satisfies ParseErrorPayload),
  buildNotAllInputParsedMessage: () =>
    JSON.stringify({ kind: 'trailing', expected: ["'model'"] } satisfies ParseErrorPayload),
  buildNoViableAltMessage: ({ expectedPathsPerAlt, ruleName }) =>
    JSON.stringify({
      kind: 'no-viable',
      expected: uniqueLabels(expectedPathsPerAlt),
      rule: ruleName,
    } satisfies ParseErrorPayload),
  buildEarlyExitMessage: ({ expectedIterationPaths, ruleName }) =>
    JSON.stringify({
      kind: 'early-exit',
      expected: uniqueLabels([expectedIterationPaths]),
      rule: ruleName,
    } satisfies ParseErrorPayload),
};

export class RampParser extends CstParser {
  constructor() {
    super(T.allTokens as TokenType[], {
      recoveryEnabled: true,
      nodeLocationTracking: 'full',
      errorMessageProvider: messages,
      maxLookahead: 3,
    });
    this.performSelfAnalysis();
  }

  // file = { model } ;
  public readonly file = this.RULE('file', () => {
    this.MANY(() => this.SUBRULE(this.model));
  });

  // model = "model" Word "{" { member } "}" ;
  private readonly model = this.RULE('model', () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Word);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.member));
    this.CONSUME(T.RBrace);
  });

  private readonly member = this.RULE('member', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.backbone) },
      { ALT: () => this.SUBRULE(this.exits) },
      { ALT: () => this.SUBRULE(this.policy) },
      { ALT: () => this.SUBRULE(this.target) },
      { ALT: () => this.SUBRULE(this.sdk) },
      { ALT: () => this.SUBRULE(this.calibration) },
      { ALT: () => this.SUBRULE(this.decode) },
    ]);
  });

  // backbone = "backbone" String [ "{" { backboneItem } "}" ] ;
  private readonly backbone = this.RULE('backbone', () => {
    this.CONSUME(T.Backbone);
    this.CONSUME(T.StringLiteral);
    this.OPTION(() => {
      this.CONSUME(T.LBrace);
      this.MANY(() => this.SUBRULE(this.backboneItem));
      this.CONSUME(T.RBrace);
    });
  });

  private readonly backboneItem = this.RULE('backboneItem', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.layersItem) },
      {
        ALT: () => {
          this.OR1([{ ALT: () => this.CONSUME(T.Inputs) }, { ALT: () => this.CONSUME(T.Outputs) }]);
          this.SUBRULE(this.stringList);
        },
      },
    ]);
  });

  // layersItem = "layers" ( "auto" | String | "cuts" stringList ) ;
  private readonly layersItem = this.RULE('layersItem', () => {
    this.CONSUME(T.Layers);
    this.OR([
      { ALT: () => this.CONSUME(T.Auto) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      {
        ALT: () => {
          this.CONSUME(T.Cuts);
          this.SUBRULE(this.stringList);
        },
      },
    ]);
  });

  // stringList = "[" [ String { "," String } [ "," ] ] "]" ;
  private readonly stringList = this.RULE('stringList', () => {
    this.CONSUME(T.LBracket);
    this.MANY(() => {
      this.CONSUME(T.StringLiteral);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBracket);
  });

  // exits = "exits" ( "after" selection [ fromOutputs ] | fromOutputs ) [ "{" { exitItem } "}" ] ;
  private readonly exits = this.RULE('exits', () => {
    this.CONSUME(T.Exits);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.After);
          this.SUBRULE(this.selection);
          this.OPTION(() => this.SUBRULE(this.fromOutputs));
        },
      },
      { ALT: () => this.SUBRULE1(this.fromOutputs) },
    ]);
    this.OPTION1(() => {
      this.CONSUME(T.LBrace);
      this.MANY(() => this.SUBRULE(this.exitItem));
      this.CONSUME(T.RBrace);
    });
  });

  private readonly fromOutputs = this.RULE('fromOutputs', () => {
    this.CONSUME(T.From);
    this.CONSUME(T.Outputs);
    this.CONSUME(T.StringLiteral);
  });

  // selection = "all" | "every" Number | Number [ ".." Number ] | "[" Number { "," Number } "]" ;
  private readonly selection = this.RULE('selection', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.All) },
      {
        ALT: () => {
          this.CONSUME(T.Every);
          this.CONSUME(T.NumberLiteral);
        },
      },
      {
        ALT: () => {
          this.CONSUME1(T.NumberLiteral);
          this.OPTION(() => {
            this.CONSUME(T.DotDot);
            this.CONSUME2(T.NumberLiteral);
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.MANY(() => {
            this.CONSUME3(T.NumberLiteral);
            this.OPTION1(() => this.CONSUME(T.Comma));
          });
          this.CONSUME(T.RBracket);
        },
      },
    ]);
  });

  private readonly exitItem = this.RULE('exitItem', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Pool);
          this.CONSUME(T.Word);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Head);
          this.SUBRULE(this.call);
          this.MANY(() => {
            this.CONSUME(T.Plus);
            this.SUBRULE1(this.call);
          });
        },
      },
      { ALT: () => this.SUBRULE(this.weights) },
    ]);
  });

  // call = Word [ "(" { param [ "," ] } ")" ] ;
  private readonly call = this.RULE('call', () => {
    this.CONSUME(T.Word);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.MANY(() => {
        this.SUBRULE(this.param);
        this.OPTION1(() => this.CONSUME(T.Comma));
      });
      this.CONSUME(T.RParen);
    });
  });

  // weights = "weights" String ( "key" String | "{" { Word ":" String [ "," ] } "}" ) ;
  private readonly weights = this.RULE('weights', () => {
    this.CONSUME(T.Weights);
    this.CONSUME(T.StringLiteral);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Key);
          this.CONSUME1(T.StringLiteral);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LBrace);
          this.MANY(() => this.SUBRULE(this.weightKey));
          this.CONSUME(T.RBrace);
        },
      },
    ]);
  });

  private readonly weightKey = this.RULE('weightKey', () => {
    this.CONSUME(T.Word);
    this.CONSUME(T.Colon);
    this.CONSUME(T.StringLiteral);
    this.OPTION(() => this.CONSUME(T.Comma));
  });

  private readonly policy = this.RULE('policy', () => {
    this.CONSUME(T.Policy);
    this.CONSUME(T.Word);
    this.OPTION(() => this.SUBRULE(this.paramBlock));
  });

  private readonly target = this.RULE('target', () => {
    this.CONSUME(T.Target);
    this.CONSUME(T.Word);
    this.OPTION(() => this.SUBRULE(this.paramBlock));
  });

  private readonly sdk = this.RULE('sdk', () => {
    this.CONSUME(T.Sdk);
    this.SUBRULE(this.paramBlock);
  });

  private readonly calibration = this.RULE('calibration', () => {
    this.CONSUME(T.Calibration);
    this.SUBRULE(this.paramBlock);
  });

  // decode = "decode" paramBlock ;  (a decoder backbone's per-token step: cache handling)
  private readonly decode = this.RULE('decode', () => {
    this.CONSUME(T.Decode);
    this.SUBRULE(this.paramBlock);
  });

  // paramBlock = "{" { param [ "," ] } "}" ;
  private readonly paramBlock = this.RULE('paramBlock', () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.SUBRULE(this.param);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBrace);
  });

  // param = Word ":" value ;
  private readonly param = this.RULE('param', () => {
    this.CONSUME(T.Word);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.value);
  });

  // value = String | Number | call [ weights ] | weights | "[" { value [ "," ] } "]" ;
  private readonly value = this.RULE('value', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      {
        ALT: () => {
          this.SUBRULE(this.call);
          this.OPTION(() => this.SUBRULE(this.weights));
        },
      },
      { ALT: () => this.SUBRULE1(this.weights) },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.MANY(() => {
            this.SUBRULE1(this.value);
            this.OPTION1(() => this.CONSUME(T.Comma));
          });
          this.CONSUME(T.RBracket);
        },
      },
    ]);
  });
}

/** The one parser instance (Chevrotain's recommended use: build once, set `input` per run). */
export const rampParser = new RampParser();
