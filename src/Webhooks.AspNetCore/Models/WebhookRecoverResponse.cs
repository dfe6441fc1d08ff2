namespace Webhooks.AspNetCore.Models;

/// <summary>What <c>recover</c> did.</summary>
public sealed class WebhookRecoverResponse
{
    /// <summary>How many failed deliveries were requeued.</summary>
    public required int Requeued { get; init; }
}
