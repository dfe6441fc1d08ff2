namespace Webhooks.AspNetCore.Models;

/// <summary>
/// The endpoint (scheme, host and port) a subscription's URL points at and its circuit: when the
/// attempts to it fail at a high rate, deliveries wait for a break (their retries untouched), then
/// one probe is sent. Circuits are kept per instance; this is the answering instance's view.
/// </summary>
public sealed class WebhookEndpointStateResponse
{
    /// <summary>The endpoint: <c>scheme://host:port</c>.</summary>
    public required string Endpoint { get; init; }

    /// <summary><c>closed</c> (deliveries are sent), <c>open</c> (held back until <see cref="OpenUntil"/>) or <c>halfOpen</c> (the next attempt is a probe).</summary>
    public required string Circuit { get; init; }

    /// <summary>When the current or last break ends; <see langword="null"/> when closed.</summary>
    public DateTimeOffset? OpenUntil { get; init; }
}
