using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Http.Metadata;
using Webhooks.AspNetCore.Receiving;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Verifies the webhooks an endpoint receives (Standard Webhooks signatures, from this library or any sender).</summary>
public static class WebhookSignatureEndpointConventionBuilderExtensions
{
    /// <summary>
    /// Requires a valid Standard Webhooks signature made with one of <paramref name="secrets"/>, a
    /// timestamp within 5 minutes and a <c>webhook-id</c> not seen before. Otherwise the request is
    /// answered with a ProblemDetails (401 bad signature or timestamp, 409 replay, 413 body over 1 MiB)
    /// and the handler does not run.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint builder.</typeparam>
    /// <param name="builder">The endpoint, for example the result of <c>MapPost</c>.</param>
    /// <param name="secrets">The accepted <c>whsec_…</c> secrets (two during a rotation).</param>
    /// <returns>The builder.</returns>
    /// <exception cref="WebhookException">No secret, or one that is not <c>whsec_</c> + base64.</exception>
    public static TBuilder RequireWebhookSignature<TBuilder>(this TBuilder builder, params string[] secrets)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(secrets);
        return builder.RequireWebhookSignature(o =>
        {
            foreach (var secret in secrets)
            {
                o.Secrets.Add(secret);
            }
        });
    }

    /// <summary>
    /// Requires a valid signature made with one of the secrets <paramref name="secretResolver"/>
    /// returns for the request (from configuration, a vault, a database: use
    /// <see cref="HttpContext.RequestServices"/>).
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint builder.</typeparam>
    /// <param name="builder">The endpoint.</param>
    /// <param name="secretResolver">Returns the accepted secrets; called once per request.</param>
    /// <param name="configure">Changes the other <see cref="WebhookReceiverOptions"/>.</param>
    /// <returns>The builder.</returns>
    public static TBuilder RequireWebhookSignature<TBuilder>(this TBuilder builder, Func<HttpContext, IEnumerable<string>> secretResolver, Action<WebhookReceiverOptions>? configure = null)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(secretResolver);
        return builder.RequireWebhookSignature(o =>
        {
            o.SecretResolver = secretResolver;
            configure?.Invoke(o);
        });
    }

    /// <summary>
    /// Requires a valid webhook signature as <paramref name="configure"/> describes. The check runs
    /// before the handler's parameters are bound: it reads the body once (up to
    /// <see cref="WebhookReceiverOptions.MaxBodySize"/>), then rewinds it, so <c>[FromBody]</c> parameters
    /// still bind; a <see cref="VerifiedWebhook"/> parameter gets the id, timestamp and exact bytes.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint builder.</typeparam>
    /// <param name="builder">The endpoint.</param>
    /// <param name="configure">Sets the secrets and the other options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="WebhookException">The options are invalid; the message says which and what to use.</exception>
    public static TBuilder RequireWebhookSignature<TBuilder>(this TBuilder builder, Action<WebhookReceiverOptions> configure)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new WebhookReceiverOptions();
        configure(options);
        var check = new WebhookSignatureCheck(options);
        builder.Add(endpoint =>
        {
            // Wrapping the request delegate rather than adding an IEndpointFilter: filters run after the
            // handler's parameters are bound, when a [FromBody] parameter has already consumed the body.
            var next = endpoint.RequestDelegate
                ?? throw new InvalidOperationException($"RequireWebhookSignature needs an endpoint with a request delegate; '{endpoint.DisplayName}' has none.");
            endpoint.RequestDelegate = context => check.InvokeAsync(context, next);
            foreach (var status in (int[])[StatusCodes.Status401Unauthorized, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge])
            {
                endpoint.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), ["application/problem+json"]));
            }
        });
        return builder;
    }
}
