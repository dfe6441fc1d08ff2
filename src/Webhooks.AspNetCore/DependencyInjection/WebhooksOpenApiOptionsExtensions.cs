using Microsoft.AspNetCore.OpenApi;
using Webhooks.AspNetCore.OpenApi;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Describes the webhooks an app sends in its OpenAPI document.</summary>
public static class WebhooksOpenApiOptionsExtensions
{
    /// <summary>
    /// Adds every event type of the webhooks catalog to the document's OpenAPI 3.1 <c>webhooks</c>
    /// map, so receivers can read, or generate code from, what the app sends: per event type a
    /// <c>POST</c> with an operation id (<c>order.created</c>: <c>OrderCreatedWebhook</c>), its
    /// description as summary, its deprecated flag, the request body (the envelope
    /// <c>{"type","timestamp","data"}</c> around the catalog's JSON schema of the data, or the data
    /// alone when <c>WebhookOptions.PayloadFormat</c> is <c>Data</c>), the signature headers as
    /// parameters, and the answers a receiver gives. Use it as
    /// <c>services.AddOpenApi(o =&gt; o.AddWebhooksToOpenApi())</c>; the document must stay OpenAPI 3.1
    /// (the default): generating a 3.0 one with it fails with a message saying so.
    /// </summary>
    /// <param name="options">The options of one OpenAPI document.</param>
    /// <returns>The options.</returns>
    public static OpenApiOptions AddWebhooksToOpenApi(this OpenApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.AddDocumentTransformer(new WebhookCatalogDocumentTransformer(options));
    }
}
