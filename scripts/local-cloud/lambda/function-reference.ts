/** An ARN of a Lambda function, its version or alias after it if any: `arn:aws:lambda:{region}:{account}:function:{name}[:{qualifier}]`. */
const FUNCTION_ARN = /^(arn:[^:]+:lambda:[^:]*:\d*:function:([^:]+))(?::([^:]+))?$/;

/** A function as Lambda's APIs and CloudFormation name one: by name, `name:qualifier`, or ARN, qualified or not. */
export interface FunctionReference {
  readonly name: string;
  /** The unqualified ARN, when the reference was an ARN. */
  readonly arn?: string;
  /** A version (`3`, `$LATEST`) or an alias. */
  readonly qualifier?: string;
}

export function functionReference(reference: string): FunctionReference {
  const arn = FUNCTION_ARN.exec(reference);
  if (arn) return { name: arn[2]!, arn: arn[1]!, ...(arn[3] ? { qualifier: arn[3] } : {}) };
  const [name = '', qualifier] = reference.split(':');
  return { name, ...(qualifier ? { qualifier } : {}) };
}
