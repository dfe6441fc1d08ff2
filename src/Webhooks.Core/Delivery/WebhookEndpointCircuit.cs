namespace Webhooks.Core.Delivery;

/// <summary>
/// An endpoint's circuit as this process sees it: circuits are kept per process, so with several
/// dispatcher instances each one breaks on what it saw itself.
/// </summary>
/// <param name="Endpoint">The endpoint: <c>scheme://host:port</c>.</param>
/// <param name="State">Closed, open or half-open.</param>
/// <param name="OpenUntil">When the current or last break ends; <see langword="null"/> when closed.</param>
public sealed record WebhookEndpointCircuit(string Endpoint, WebhookCircuitState State, DateTimeOffset? OpenUntil);
