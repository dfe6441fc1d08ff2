using System.Text.Json;
using System.Text.Json.Serialization;

namespace Webhooks.Core.Serialization;

/// <summary>The <c>data</c> of a <c>webhook.test</c> event.</summary>
internal sealed record WebhookTestPayload(string Message, string? SubscriptionId);

/// <summary>Source-generated serialization for the library's own types (trim- and AOT-safe).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(WebhookTestPayload))]
internal sealed partial class WebhookJsonContext : JsonSerializerContext;
