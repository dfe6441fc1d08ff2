namespace Webhooks.Core.Catalog;

/// <summary>The details of an event type registered with <c>AddEventType(name, o => …)</c>.</summary>
public sealed class WebhookEventTypeOptions
{
    /// <summary>What happened, for people choosing what to subscribe to.</summary>
    public string? Description { get; set; }

    /// <summary>The resource or group it belongs to (<c>group.*</c> subscriptions receive it).</summary>
    public string? Group { get; set; }

    /// <summary>The payload version.</summary>
    public string? Version { get; set; }

    /// <summary>Still delivered, but new integrations should not rely on it.</summary>
    public bool Deprecated { get; set; }

    /// <summary>This event type's own retry delays; <see langword="null"/> uses <see cref="WebhookOptions.RetrySchedule"/>. Empty: never retried.</summary>
    public IList<TimeSpan>? RetrySchedule { get; set; }
}
