using System.Text.Json;
using System.Text.Json.Serialization;

namespace Webhooks.AspNetCore.Models;

/// <summary>
/// Source-generated JSON for the management endpoints (trim- and AOT-safe). Requests and
/// responses always use these settings (camelCase, strict numbers, unknown properties rejected),
/// whatever the app's own JSON options are. Add it to your OpenAPI or client serializer with
/// <c>TypeInfoResolverChain.Add(WebhooksApiJsonContext.Default)</c>.
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
public sealed partial class WebhooksApiJsonContext : JsonSerializerContext;
