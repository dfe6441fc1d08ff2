using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Webhooks.Benchmarks.Harness;

/// <summary>
/// An allocation breakdown by type from the runtime's GC AllocationTick events (one sample per ~100 KB
/// allocated, so the shares are estimates): <c>--alloc</c> prints it for the library's rounds.
/// </summary>
public sealed class AllocationProfile : EventListener
{
    private readonly ConcurrentDictionary<string, long> _bytes = new();
    private volatile bool _enabled;

    public void Start()
    {
        _bytes.Clear();
        _enabled = true;
    }

    public IReadOnlyList<(string Type, long Bytes)> Stop()
    {
        _enabled = false;
        return [.. _bytes.OrderByDescending(p => p.Value).Select(p => (p.Key, p.Value))];
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1); // GC
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        var e = eventData;
        if (!_enabled || e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null)
        {
            return;
        }

        int typeAt = e.PayloadNames!.IndexOf("TypeName");
        int amountAt = e.PayloadNames.IndexOf("AllocationAmount64");
        if (typeAt < 0)
        {
            return;
        }

        var type = e.Payload[typeAt] as string ?? "?";
        long amount = amountAt >= 0 ? Convert.ToInt64(e.Payload[amountAt], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
        _bytes.AddOrUpdate(type, amount, (_, v) => v + amount);
    }
}
