using Microsoft.AspNetCore.Http;

namespace Webhooks.AspNetCore.Receiving;

/// <summary>Reads what <c>RequireWebhookSignature(...)</c> verified.</summary>
public static class WebhookHttpContextExtensions
{
    /// <summary>The webhook verified for this request.</summary>
    /// <param name="context">The request.</param>
    /// <returns>The verified webhook, or <see langword="null"/> when the endpoint does not require a signature.</returns>
    public static VerifiedWebhook? GetVerifiedWebhook(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Features.Get<VerifiedWebhook>();
    }
}
