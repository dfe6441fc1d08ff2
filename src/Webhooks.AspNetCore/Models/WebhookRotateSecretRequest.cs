namespace Webhooks.AspNetCore.Models;

/// <summary>The optional body of <c>POST /webhooks/{id}/rotate-secret</c>.</summary>
public sealed class WebhookRotateSecretRequest
{
    /// <summary>The new secret (<c>whsec_</c> + base64 of 24 to 64 bytes); one is generated when omitted.</summary>
    public string? Secret { get; init; }
}
