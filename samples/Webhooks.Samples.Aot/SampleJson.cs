using System.Text.Json;
using System.Text.Json.Serialization;
using Webhooks.Core.Catalog;

namespace Webhooks.Samples.Aot;

/// <summary>The payload of <c>order.created</c>.</summary>
public sealed record Order(int Id, string Customer, decimal Total);

/// <summary>What the receiver reads: the Standard Webhooks envelope around an order.</summary>
public sealed record OrderEnvelope(string Type, DateTimeOffset Timestamp, Order Data);

/// <summary>The event types this app publishes.</summary>
public static class OrderEvents
{
    public static readonly WebhookEvent<Order> Created = new("order.created", "An order was placed.") { Group = "order" };
}

#region json-context
/// <summary>
/// Source-generated JSON for the app's own types. With native AOT there is no reflection-based
/// serializer: the library serializes payloads through this context (ConfigureSerializer), and the
/// receiver reads the envelope with it.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Order))]
[JsonSerializable(typeof(OrderEnvelope))]
public sealed partial class SampleJsonContext : JsonSerializerContext;
#endregion
