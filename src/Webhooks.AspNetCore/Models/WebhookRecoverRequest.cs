namespace Webhooks.AspNetCore.Models;

/// <summary>The body of <c>POST /webhooks/{id}/recover</c>.</summary>
public sealed class WebhookRecoverRequest
{
    /// <summary>Requeue the failed deliveries created at or after this time (ISO 8601). Required.</summary>
    public DateTimeOffset? Since { get; init; }
}
