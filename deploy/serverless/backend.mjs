// A demo backend: echoes what the gatepass authorizer passed on
// (REST: requestContext.authorizer; HTTP API 2.0: requestContext.authorizer.lambda).
export const handler = async (event) => ({
  statusCode: 200,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({
    route: event.routeKey ?? `${event.httpMethod} ${event.resource}`,
    authorizer: event.requestContext?.authorizer ?? null,
  }),
});
