using System.Text.Json;

namespace Webhooks.AspNetCore.Models;

/// <summary>One event type of the catalog.</summary>
public sealed class WebhookEventTypeResponse
{
    /// <summary>The name receivers see as the payload's <c>type</c>.</summary>
    public required string Name { get; init; }

    /// <summary>What happened.</summary>
    public string? Description { get; init; }

    /// <summary>The payload version, if the app versions payloads.</summary>
    public string? Version { get; init; }

    /// <summary>Still delivered, but new integrations should not rely on it.</summary>
    public bool Deprecated { get; init; }

    /// <summary>A JSON schema of the payload's <c>data</c>, if known.</summary>
    public JsonElement? Schema { get; init; }

    /// <summary>This event type's own retry delays in seconds, when it overrides the app's schedule.</summary>
    public IReadOnlyList<double>? RetryScheduleSeconds { get; init; }
}
