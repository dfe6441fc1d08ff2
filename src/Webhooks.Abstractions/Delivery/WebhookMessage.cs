namespace Webhooks.Abstractions.Delivery;

/// <summary>One published event: its body is serialized once and shared by every delivery.</summary>
public sealed record WebhookMessage
{
    /// <summary>The id (<c>msg_…</c>, sortable), sent as <c>webhook-id</c>.</summary>
    public required string Id { get; init; }

    /// <summary>The event type name.</summary>
    public required string EventType { get; init; }

    /// <summary>The envelope's <c>timestamp</c> (the publisher may set it; nothing measures time from it).</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>When the engine accepted the publish, on the engine's clock; idempotency windows are measured from it.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The owner it was published for.</summary>
    public string? Owner { get; init; }

    /// <summary>The idempotency key given at publish time.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Until when (engine's clock) the idempotency key suppresses a second publish: <see cref="CreatedAt"/> plus the window.</summary>
    public DateTimeOffset? IdempotencyExpiresAt { get; init; }

    /// <summary>
    /// The W3C <c>traceparent</c> of the publish (<c>00-{trace id}-{span id}-{flags}</c>) when it was
    /// traced, so an attempt sent later, by any instance, links to it. A store that can keeps it with the
    /// message; one that cannot returns <see langword="null"/> and the link is lost, nothing else.
    /// </summary>
    public string? TraceParent { get; init; }

    /// <summary>The W3C <c>tracestate</c> that came with <see cref="TraceParent"/>, if any.</summary>
    public string? TraceState { get; init; }

    /// <summary>The exact body every delivery of the message sends.</summary>
    public required ReadOnlyMemory<byte> Payload { get; init; }
}
