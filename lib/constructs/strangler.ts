import { Duration } from 'aws-cdk-lib';
import { HttpIntegration, Resource, type IResource, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';

export interface StranglerFacadeProps {
  readonly api: RestApi;
  /** The legacy system's base URL, ending in `/`. */
  readonly legacyUrl: string;
  /** How long API Gateway waits for legacy: short, so an outage answers fast. @default 3 seconds */
  readonly legacyTimeout?: Duration;
  /** Top-level paths that are Eightfold's alone and never fall through to legacy. @default ['ops'] */
  readonly ownPaths?: string[];
}

/**
 * Strangler Fig, the façade: whatever Eightfold does not serve goes to the legacy system, as a plain
 * HTTP_PROXY integration (no Lambda hop). A `{proxy+}` catch-all takes unknown paths; on every path
 * Eightfold serves, an `ANY` method takes the methods it does not (API Gateway never falls back from a
 * matched resource to the catch-all). Call `routeTheRestToLegacy` once every Eightfold route exists.
 */
export class StranglerFacade extends Construct {
  private readonly props: StranglerFacadeProps;

  constructor(scope: Construct, id: string, props: StranglerFacadeProps) {
    super(scope, id);
    this.props = props;
  }

  routeTheRestToLegacy(): void {
    const { api } = this.props;
    const own = new Set(this.props.ownPaths ?? ['ops']);
    const visit = (resource: IResource): void => {
      if (resource.path.split('/')[1] && own.has(resource.path.split('/')[1]!)) return;
      for (const child of resource.node.children) if (child instanceof Resource) visit(child);
      this.addLegacyMethod(resource, resource.path);
    };
    visit(api.root);
    this.addLegacyMethod(api.root.addResource('{proxy+}'), '/{proxy}');
  }

  /** `ANY` on this resource, proxied to the same path on legacy, path parameters carried over. */
  private addLegacyMethod(resource: IResource, path: string): void {
    const params = [...path.matchAll(/\{([^}+]+)\+?\}/g)].map((m) => m[1]!);
    const integration = new HttpIntegration(`${this.props.legacyUrl}${path.replace(/^\//, '')}`, {
      proxy: true,
      httpMethod: 'ANY',
      options: {
        timeout: this.props.legacyTimeout ?? Duration.seconds(3),
        requestParameters: Object.fromEntries(params.map((p) => [`integration.request.path.${p}`, `method.request.path.${p}`])),
      },
    });
    resource.addMethod('ANY', integration, { requestParameters: Object.fromEntries(params.map((p) => [`method.request.path.${p}`, true])) });
  }
}
