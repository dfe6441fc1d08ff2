using Webhooks.Benchmarks.Harness;

namespace Webhooks.Benchmarks.Scenarios;

/// <summary>
/// Managed heap per pending delivery (in-memory stores, dispatcher off), measured with full collections
/// before and after: (a) many messages × 1 subscription, each body its own; (b) 1,000 messages × 100
/// subscriptions, each body shared by its 100 deliveries. "Beyond the body" subtracts the payload bytes.
/// </summary>
public static class Memory
{
    public static async Task<Report> RunAsync(Settings settings)
    {
        int messagesA = settings.Count("memory-messages", 100_000, 20_000);
        int messagesB = settings.Count("memory-fanout-messages", 1_000, 200);
        const int subscriptionsB = 100;
        var report = new Report("memory") { Target = "<= 400 B per delivery beyond the body in (a); <= 300 in (b)" };
        report.Setting("aMessages", messagesA).Setting("aSubscriptions", 1).Setting("bMessages", messagesB).Setting("bSubscriptions", subscriptionsB)
            .Setting("bodyBytes", Payload.EnvelopeBytes);

        var (perA, beyondA) = await MeasureAsync(messagesA, 1);
        var (perB, beyondB) = await MeasureAsync(messagesB, subscriptionsB);
        report.Figure("aBytesPerDelivery", Math.Round(perA), $"(a) {messagesA:N0} messages x 1 subscription: {perA:N0} B per pending delivery")
            .Figure("aBytesBeyondBody", Math.Round(beyondA), $"(a) beyond the {Payload.EnvelopeBytes} B body: {beyondA:N0} B (target 400)")
            .Figure("bBytesPerDelivery", Math.Round(perB), $"(b) {messagesB:N0} messages x {subscriptionsB} subscriptions: {perB:N0} B per pending delivery")
            .Figure("bBytesBeyondBody", Math.Round(beyondB), $"(b) beyond the shared body: {beyondB:N0} B (target 300)");
        report.TargetMet = beyondA <= 400 && beyondB <= 300;
        return report;
    }

    private static async Task<(double PerDelivery, double BeyondBody)> MeasureAsync(int messages, int subscriptions)
    {
        await using var host = LibraryHost.Create(16, dispatcher: false, retained: 10);
        for (int i = 0; i < subscriptions; i++)
        {
            await host.SubscribeAsync("http://127.0.0.1:9/hook");
        }

        // Warm the publish path, then keep only what the store holds.
        var warm = await host.Publisher.PublishAsync(Payload.EventType, Payload.Data(0));
        var datas = new System.Text.Json.JsonElement[Math.Min(messages, 1000)];
        for (int i = 0; i < datas.Length; i++)
        {
            datas[i] = Payload.Data(i + 1);
        }

        long before = GC.GetTotalMemory(forceFullCollection: true);
        int bodyBytes = 0;
        for (int i = 0; i < messages; i++)
        {
            var result = await host.Publisher.PublishAsync(Payload.EventType, datas[i % datas.Length]);
            if (result.DeliveryCount != subscriptions)
            {
                throw new InvalidOperationException("not every subscription matched");
            }
        }

        bodyBytes = Payload.EnvelopeOf(datas[0], DateTimeOffset.UtcNow).Length;
        long after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(warm);
        double deliveries = (double)messages * subscriptions;
        double per = (after - before) / deliveries;
        return (per, per - (bodyBytes * (double)messages / deliveries));
    }
}
