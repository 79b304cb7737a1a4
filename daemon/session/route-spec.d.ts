import type { RouteInfo } from "../../server-core/ipc";
export interface RouteSpec {
    method: string;
    /** The path requests are sent to (":id" parameters replaced by "1"). */
    requestPath: string;
    /** As typed. */
    path: string;
}
export declare function parseRouteSpec(spec: string): RouteSpec;
/** The app route the spec hits, or a clear error listing the routes there are. */
export declare function resolveRoute(spec: RouteSpec, routes: RouteInfo[], appFile: string): RouteInfo;
