using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Webhooks.Benchmarks.Harness;

/// <summary>
/// Counts the methods the runtime compiles while it is on (<c>--jit</c>): a long-running sender should
/// compile next to nothing in its steady state, so what does show up is work redone per host or per call.
/// </summary>
public sealed class JitProfile : EventListener
{
    private readonly ConcurrentDictionary<string, int> _methods = new();
    private volatile bool _on;

    public void Start()
    {
        _methods.Clear();
        _on = true;
    }

    public IReadOnlyList<(string Method, int Count)> Stop()
    {
        _on = false;
        return [.. _methods.OrderByDescending(m => m.Value).Select(m => (m.Key, m.Value))];
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x10); // JIT
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_on || eventData.EventName is not "MethodLoadVerbose_V1" and not "MethodLoadVerbose_V2" || eventData.Payload is null)
        {
            return;
        }

        string ns = eventData.Payload[eventData.PayloadNames!.IndexOf("MethodNamespace")] as string ?? "";
        string name = eventData.Payload[eventData.PayloadNames!.IndexOf("MethodName")] as string ?? "";
        _methods.AddOrUpdate(ns + "::" + name, 1, (_, c) => c + 1);
    }
}
