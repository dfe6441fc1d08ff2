using System.Text.Json;
using Webhooks.Core.Catalog;

namespace Webhooks.Samples.Orders.Orders;

/// <summary>An order, as the API returns it and as <c>order.created</c> and <c>order.deleted</c> carry it.</summary>
public sealed record Order(int Id, string Customer, IReadOnlyList<OrderItem> Items, string Status, string? Note, DateTimeOffset CreatedAt);

/// <summary>One line of an order.</summary>
public sealed record OrderItem(string Sku, int Quantity, decimal UnitPrice);

/// <summary>What <c>order.updated</c> carries: the order's id and each changed field with its previous and current value.</summary>
public sealed record OrderUpdated(int Id, IReadOnlyDictionary<string, OrderChange> Changes);

/// <summary>One changed field.</summary>
public sealed record OrderChange(JsonElement Previous, JsonElement Current);

#region order-events
/// <summary>The order events this app publishes; typed, so a payload of the wrong type does not compile.</summary>
public static class OrderEvents
{
    public static readonly WebhookEvent<Order> Created = new("order.created", "An order was placed. Carries the full order.") { Group = "order" };

    public static readonly WebhookEvent<OrderUpdated> Updated = new("order.updated", "An order changed. Carries the changed fields with their previous and current values.") { Group = "order" };

    public static readonly WebhookEvent<Order> Deleted = new("order.deleted", "An order was deleted. Carries the order as it was before deletion.") { Group = "order" };
}
#endregion

/// <summary>The body of <c>POST /orders</c>.</summary>
public sealed record CreateOrderRequest(string? Customer, IReadOnlyList<OrderItemRequest>? Items, string? Note);

/// <summary>The body of <c>PUT /orders/{id}</c>: any of the fields; omitted ones stay.</summary>
public sealed record UpdateOrderRequest(string? Customer, IReadOnlyList<OrderItemRequest>? Items, string? Status, string? Note);

/// <summary>One line in a request.</summary>
public sealed record OrderItemRequest(string? Sku, int? Quantity, decimal? UnitPrice);
