using System.Text.Json;
using System.Text.Json.Serialization;

namespace Webhooks.AspNetCore.Models;

/// <summary>
/// Source-generated JSON for the management endpoints (trim- and AOT-safe). Requests and
/// responses always use these settings (camelCase, strict numbers, unknown properties rejected),
/// whatever the app's own JSON options are. Internal: its generated members are not API we promise.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict,
    AllowDuplicateProperties = false)]
[JsonSerializable(typeof(WebhookSubscriptionCreateRequest))]
[JsonSerializable(typeof(WebhookSubscriptionUpdateRequest))]
[JsonSerializable(typeof(WebhookRotateSecretRequest))]
[JsonSerializable(typeof(WebhookTestRequest))]
[JsonSerializable(typeof(WebhookRecoverRequest))]
[JsonSerializable(typeof(WebhookSubscriptionResponse))]
[JsonSerializable(typeof(WebhookSubscriptionPage))]
[JsonSerializable(typeof(WebhookEventCatalogResponse))]
[JsonSerializable(typeof(WebhookTestResponse))]
[JsonSerializable(typeof(WebhookDeliveryPage))]
[JsonSerializable(typeof(WebhookDeliveryResponse))]
[JsonSerializable(typeof(WebhookRecoverResponse))]
[JsonSerializable(typeof(WebhookStatsResponse))]
[JsonSerializable(typeof(WebhookStatsBySubscriptionResponse))]
internal sealed partial class WebhooksApiJsonContext : JsonSerializerContext;
