namespace Webhooks.Abstractions;

/// <summary>
/// A write was based on a stale version of a subscription (optimistic concurrency): read it
/// again and reapply the change.
/// </summary>
public sealed class WebhookConcurrencyException : WebhookException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="subscriptionId">The subscription.</param>
    /// <param name="expectedVersion">The version the caller held.</param>
    /// <param name="actualVersion">The version in the store.</param>
    public WebhookConcurrencyException(string subscriptionId, long expectedVersion, long actualVersion)
        : base($"Subscription '{subscriptionId}' was changed by someone else (you have version {expectedVersion}, the store has {actualVersion}). Read it again and reapply your change.")
    {
        SubscriptionId = subscriptionId;
        ExpectedVersion = expectedVersion;
        ActualVersion = actualVersion;
    }

    /// <summary>The subscription.</summary>
    public string SubscriptionId { get; }

    /// <summary>The version the caller held.</summary>
    public long ExpectedVersion { get; }

    /// <summary>The version in the store.</summary>
    public long ActualVersion { get; }
}
