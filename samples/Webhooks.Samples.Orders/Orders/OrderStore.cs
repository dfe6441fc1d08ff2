namespace Webhooks.Samples.Orders.Orders;

/// <summary>Orders in memory, each belonging to the owner who created it; another owner's order is not found.</summary>
public sealed class OrderStore(TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, (string Owner, Order Order)> _orders = [];
    private int _nextId;

    public Order Add(string owner, string customer, IReadOnlyList<OrderItem> items, string? note)
    {
        lock (_gate)
        {
            var order = new Order(++_nextId, customer, items, "pending", note, time.GetUtcNow());
            _orders[order.Id] = (owner, order);
            return order;
        }
    }

    public Order? Get(string owner, int id)
    {
        lock (_gate)
        {
            return _orders.TryGetValue(id, out var e) && e.Owner == owner ? e.Order : null;
        }
    }

    /// <summary>Applies <paramref name="change"/> atomically; returns the order before and after, or null when not found.</summary>
    public (Order Before, Order After)? Update(string owner, int id, Func<Order, Order> change)
    {
        lock (_gate)
        {
            if (!_orders.TryGetValue(id, out var e) || e.Owner != owner)
            {
                return null;
            }

            var after = change(e.Order);
            _orders[id] = (owner, after);
            return (e.Order, after);
        }
    }

    public Order? Remove(string owner, int id)
    {
        lock (_gate)
        {
            if (!_orders.TryGetValue(id, out var e) || e.Owner != owner)
            {
                return null;
            }

            _orders.Remove(id);
            return e.Order;
        }
    }
}
