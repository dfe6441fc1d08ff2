namespace Webhooks.AspNetCore.Models;

/// <summary>One subscription's attempts over the window of a <see cref="WebhookStatsBySubscriptionResponse"/>.</summary>
public sealed class WebhookSubscriptionStatsResponse
{
    /// <summary>The subscription's id.</summary>
    public required string SubscriptionId { get; init; }

    /// <summary>Attempts answered 2xx in the window.</summary>
    public required int Succeeded { get; init; }

    /// <summary>Attempts that failed in the window.</summary>
    public required int Failed { get; init; }
}
