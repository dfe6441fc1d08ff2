using System.Text;
using Microsoft.AspNetCore.Http;

namespace Webhooks.AspNetCore.Receiving;

/// <summary>
/// A webhook whose signature <c>RequireWebhookSignature(...)</c> verified: its id, timestamp and
/// the exact body bytes. Take it as a handler parameter, or read it with
/// <see cref="WebhookHttpContextExtensions.GetVerifiedWebhook"/>. The request body is also rewound,
/// so <c>[FromBody]</c> and <c>ReadFromJsonAsync</c> work as usual.
/// </summary>
public sealed class VerifiedWebhook
{
    internal VerifiedWebhook(string id, DateTimeOffset? timestamp, ReadOnlyMemory<byte> body, string scheme)
    {
        Id = id;
        Timestamp = timestamp;
        Body = body;
        Scheme = scheme;
    }

    /// <summary>The <c>webhook-id</c>: the same on every retry of one message, so use it to deduplicate.</summary>
    public string Id { get; }

    /// <summary>The signed <c>webhook-timestamp</c>; <see langword="null"/> for the hex scheme, which signs none.</summary>
    public DateTimeOffset? Timestamp { get; }

    /// <summary>The body exactly as received and verified.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The body as UTF-8 text.</summary>
    public string BodyText => Encoding.UTF8.GetString(Body.Span);

    /// <summary>The scheme that verified: <c>v1</c> (Standard Webhooks) or <c>sha256</c> (hex HMAC).</summary>
    public string Scheme { get; }

    /// <summary>Binds a handler parameter of this type (minimal APIs call it).</summary>
    /// <param name="context">The request.</param>
    /// <returns>The verified webhook, or <see langword="null"/> when the endpoint does not require a signature.</returns>
    public static ValueTask<VerifiedWebhook?> BindAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ValueTask.FromResult(context.Features.Get<VerifiedWebhook>());
    }
}
