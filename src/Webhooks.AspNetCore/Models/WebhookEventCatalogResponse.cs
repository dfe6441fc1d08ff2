namespace Webhooks.AspNetCore.Models;

/// <summary>The event catalog, grouped by resource.</summary>
public sealed class WebhookEventCatalogResponse
{
    /// <summary>The groups, in registration order; event types without a group come last, in a group named <see langword="null"/>.</summary>
    public required IReadOnlyList<WebhookEventGroupResponse> Groups { get; init; }
}
