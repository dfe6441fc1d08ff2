using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.AspNetCore.Receiving;
using Webhooks.Core.Diagnostics;
using Webhooks.Core.Subscriptions;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Tests.Receiving;

/// <summary>A receiver protected by RequireWebhookSignature continues the sender's trace from the traceparent header.</summary>
public sealed class TraceContinuationTests
{
    [Fact]
    public async Task SignedDelivery_ReceiverRequestJoinsTheSendersTrace()
    {
        var sends = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is WebhookDiagnostics.ActivitySourceName or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.OperationName.StartsWith("webhook send", StringComparison.Ordinal))
                {
                    sends.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var seen = new ConcurrentQueue<Tuple<ActivityTraceId, ActivitySpanId>>();
        const string secret = "whsec_dHJhY2UtY29udGludWF0aW9uLXNlY3JldC0wMTIzNDU=";
        await using var receiver = await SignedReceiverApp.StartAsync((app, _) =>
            app.MapPost("/hooks", (VerifiedWebhook webhook) =>
            {
                seen.Enqueue(Tuple.Create(Activity.Current!.TraceId, Activity.Current.ParentSpanId));
                return Results.NoContent();
            }).RequireWebhookSignature(secret));
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"));
        await host.Subscriptions.CreateAsync(null, new WebhookSubscriptionDefinition { Name = "traced", Url = receiver.Url("/hooks"), Events = ["order.created"], Secret = secret });

        await host.Publisher.PublishAsync("order.created", new { id = 1 });

        var (traceId, parent) = await Eventually.GetAsync(() => Task.FromResult(seen.TryPeek(out var s) ? s : null), "the verified delivery");
        // The listener hears every test's senders: find ours by the span the receiver's request names as its parent.
        var send = await Eventually.GetAsync(() => Task.FromResult(sends.FirstOrDefault(a => a.SpanId == parent)), "the send span the receiver continued");
        traceId.Should().Be(send.TraceId, "the receiver's request is part of the sender's trace");
        send.OperationName.Should().Be("webhook send order.created");
    }
}
