namespace Webhooks.Core.Catalog;

/// <summary>The event types the application emits. The default catalog holds what the builder registered.</summary>
public interface IWebhookEventCatalog
{
    /// <summary>Every registered event type, in registration order.</summary>
    IReadOnlyList<WebhookEventType> EventTypes { get; }

    /// <summary>Finds an event type by exact (case-sensitive) name.</summary>
    /// <param name="name">The event type name.</param>
    /// <returns>The event type, or <see langword="null"/> when it is not registered.</returns>
    WebhookEventType? Find(string name);
}
