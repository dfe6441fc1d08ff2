using System.Text.Json;

namespace Webhooks.Core.Filtering;

/// <summary>
/// What a filter reads: the event type and the published data, both elements of documents parsed
/// from the bytes already serialized. An element whose <see cref="JsonElement.ValueKind"/> is
/// <see cref="JsonValueKind.Undefined"/> is missing.
/// </summary>
/// <param name="Type">The event type (a JSON string).</param>
/// <param name="Data">The published data.</param>
internal readonly record struct WebhookFilterInput(JsonElement Type, JsonElement Data);
