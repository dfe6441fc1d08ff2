namespace Webhooks.AspNetCore.Models;

/// <summary>The event types of one resource or group.</summary>
public sealed class WebhookEventGroupResponse
{
    /// <summary>The resource or group, such as <c>order</c>.</summary>
    public string? Name { get; init; }

    /// <summary>The pattern that subscribes to every event type of the group, such as <c>order.*</c>, if there is one.</summary>
    public string? Pattern { get; init; }

    /// <summary>The group's event types.</summary>
    public required IReadOnlyList<WebhookEventTypeResponse> EventTypes { get; init; }
}
