namespace Webhooks.Core.Publishing;

/// <summary>Per-publish settings.</summary>
public sealed record WebhookPublishOptions
{
    /// <summary>The owner (user or tenant) whose subscriptions receive the event; <see langword="null"/> reaches only ownerless subscriptions.</summary>
    public string? Owner { get; init; }

    /// <summary>A key that makes the publish happen once: a second publish with the same owner and key within <see cref="WebhookOptions.IdempotencyWindow"/> enqueues nothing and returns the first result.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Attributes subscriptions can filter on (<see cref="WebhookSubscription.Filter"/>), such as <c>severity</c> or <c>region</c>. Not sent to receivers.</summary>
    public IReadOnlyDictionary<string, string>? Attributes { get; init; }

    /// <summary>
    /// The key whose events an ordered subscription (<see cref="WebhookSubscription.Ordered"/>) receives
    /// one after another in publish order, such as an order id: the next is not attempted until the one
    /// before it succeeded or was given up. Other keys, events without a key and unordered subscriptions
    /// are not held back. At most 256 printable ASCII characters.
    /// </summary>
    public string? OrderingKey { get; init; }

    /// <summary>The envelope's <c>timestamp</c>; now by default.</summary>
    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>
    /// The app's transaction to publish in (a transactional outbox): the message commits or rolls
    /// back with the app's own data. Made by the store package that owns the transaction (for
    /// Webhooks.PostgreSql, its <c>PublishAsync(transaction, …)</c> extension sets it); a store that
    /// cannot join it refuses the publish with a <see cref="WebhookException"/>.
    /// </summary>
    public WebhookEnqueueContext? EnqueueContext { get; init; }
}
