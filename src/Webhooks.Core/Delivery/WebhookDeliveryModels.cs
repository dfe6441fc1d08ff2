namespace Webhooks.Core.Delivery;

/// <summary>One published event: its envelope bytes are serialized once and shared by every delivery.</summary>
public sealed record WebhookMessage
{
    /// <summary>The id (<c>msg_…</c>, sortable), sent as <c>webhook-id</c>.</summary>
    public required string Id { get; init; }

    /// <summary>The event type name.</summary>
    public required string EventType { get; init; }

    /// <summary>When it was published (the envelope's <c>timestamp</c>).</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>The owner it was published for.</summary>
    public string? Owner { get; init; }

    /// <summary>The idempotency key given at publish time.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Until when the idempotency key suppresses a second publish.</summary>
    public DateTimeOffset? IdempotencyExpiresAt { get; init; }

    /// <summary>The exact JSON body every delivery of the message sends.</summary>
    public required ReadOnlyMemory<byte> Payload { get; init; }
}

/// <summary>Where a delivery stands.</summary>
public enum WebhookDeliveryStatus
{
    /// <summary>Waiting for its next attempt (or being attempted).</summary>
    Pending,

    /// <summary>A receiver answered 2xx.</summary>
    Succeeded,

    /// <summary>Given up: attempts exhausted, 410 Gone, or the subscription was disabled or deleted. Can be redelivered.</summary>
    Failed,
}

/// <summary>One message to one subscription.</summary>
public sealed record WebhookDelivery
{
    /// <summary>The id (<c>dlv_…</c>).</summary>
    public required string Id { get; init; }

    /// <summary>The message it delivers.</summary>
    public required string MessageId { get; init; }

    /// <summary>The subscription it goes to.</summary>
    public required string SubscriptionId { get; init; }

    /// <summary>The message's event type.</summary>
    public required string EventType { get; init; }

    /// <summary>Where it stands.</summary>
    public WebhookDeliveryStatus Status { get; init; }

    /// <summary>Attempts made so far.</summary>
    public int AttemptCount { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the next attempt is due (pending only).</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    /// <summary>When the last attempt started.</summary>
    public DateTimeOffset? LastAttemptAt { get; init; }

    /// <summary>The last attempt's HTTP status code, if it got one.</summary>
    public int? LastStatusCode { get; init; }

    /// <summary>The last attempt's error, if it failed.</summary>
    public string? LastError { get; init; }
}

/// <summary>The kinds of attempt failure.</summary>
public enum WebhookErrorKind
{
    /// <summary>No error: a 2xx answer.</summary>
    None,

    /// <summary>The receiver answered with a non-2xx status (3xx included: redirects are not followed).</summary>
    HttpStatus,

    /// <summary>The attempt took longer than <see cref="WebhookOptions.AttemptTimeout"/>.</summary>
    Timeout,

    /// <summary>DNS, TCP or TLS failed, or the connection was reset.</summary>
    ConnectionFailed,

    /// <summary>The request is not allowed: the target address (private network, blocked port), or headers that would inject lines.</summary>
    Blocked,

    /// <summary>The subscription was disabled or deleted before the attempt.</summary>
    SubscriptionUnavailable,
}

/// <summary>What one attempt did.</summary>
public sealed record WebhookAttempt
{
    /// <summary>1 for the first attempt.</summary>
    public required int Number { get; init; }

    /// <summary>When it started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>How long it took.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>The HTTP status code, if the receiver answered.</summary>
    public int? StatusCode { get; init; }

    /// <summary>The start of the response body (at most 4 KiB, decoded as UTF-8).</summary>
    public string? ResponseExcerpt { get; init; }

    /// <summary>What went wrong, if anything.</summary>
    public WebhookErrorKind ErrorKind { get; init; }

    /// <summary>A sentence describing the error (never contains secrets).</summary>
    public string? Error { get; init; }

    /// <summary>Whether the receiver answered 2xx.</summary>
    public bool Succeeded => ErrorKind == WebhookErrorKind.None;
}

/// <summary>A delivery with every attempt made.</summary>
/// <param name="Delivery">The delivery.</param>
/// <param name="Attempts">Its attempts, first to last.</param>
public sealed record WebhookDeliveryDetails(WebhookDelivery Delivery, IReadOnlyList<WebhookAttempt> Attempts);

/// <summary>A delivery a dispatcher has taken for one attempt; nobody else attempts it until <see cref="ExpiresAt"/>.</summary>
/// <param name="Delivery">The delivery.</param>
/// <param name="Message">Its message, payload included.</param>
/// <param name="LeaseId">Proves the holder when the attempt is recorded.</param>
/// <param name="ExpiresAt">When another dispatcher may take it over.</param>
public sealed record WebhookLease(WebhookDelivery Delivery, WebhookMessage Message, string LeaseId, DateTimeOffset ExpiresAt);

/// <summary>What <see cref="IWebhookDeliveryStore.EnqueueAsync"/> did.</summary>
/// <param name="MessageId">The message id: the new one, or the earlier one with the same idempotency key.</param>
/// <param name="DeliveryCount">The deliveries of that message.</param>
/// <param name="IsDuplicate">The idempotency key was seen within its window; nothing new was enqueued.</param>
public sealed record WebhookEnqueueResult(string MessageId, int DeliveryCount, bool IsDuplicate);

/// <summary>Where the attempt leaves the delivery.</summary>
/// <param name="Status">Pending (retry), Succeeded or Failed.</param>
/// <param name="NextAttemptAt">When to retry (pending only).</param>
public readonly record struct WebhookDeliveryTransition(WebhookDeliveryStatus Status, DateTimeOffset? NextAttemptAt);

/// <summary>What recording an attempt found.</summary>
/// <param name="LeaseHeld">False when the lease had expired and another dispatcher took the delivery: nothing was recorded.</param>
/// <param name="FailingSince">Since when every attempt to the subscription has failed; <see langword="null"/> when the latest succeeded.</param>
/// <param name="WasFailing">Whether the subscription was failing before this attempt.</param>
public readonly record struct WebhookAttemptRecorded(bool LeaseHeld, DateTimeOffset? FailingSince, bool WasFailing);

/// <summary>Counts of attempts in one time bucket.</summary>
/// <param name="Start">The bucket's start.</param>
/// <param name="Succeeded">Attempts answered 2xx.</param>
/// <param name="Failed">Attempts that failed.</param>
public sealed record WebhookStatsBucket(DateTimeOffset Start, int Succeeded, int Failed);

/// <summary>What <see cref="IWebhookDeliveryStore.QueryAsync"/> returns: one subscription's deliveries, newest first.</summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="Status">Only deliveries in this status.</param>
/// <param name="Limit">Most items per page (1 to 500).</param>
/// <param name="Cursor">The previous page's <see cref="Subscriptions.WebhookPage{T}.NextCursor"/>.</param>
public sealed record WebhookDeliveryQuery(string SubscriptionId, WebhookDeliveryStatus? Status = null, int Limit = 50, string? Cursor = null);
