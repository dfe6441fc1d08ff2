using System.Data.Common;
using System.Security.Claims;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Webhooks.AspNetCore.Owners;
using Webhooks.AspNetCore.Portal;
using Webhooks.AspNetCore.Receiving;
using Webhooks.Core;
using Webhooks.Core.Catalog;
using Webhooks.Core.Delivery;
using Webhooks.Core.Publishing;
using Webhooks.Core.Signing;
using Webhooks.Core.Subscriptions;
using Webhooks.PostgreSql;
using Webhooks.Samples.Orders.Orders;

namespace Webhooks.AspNetCore.Tests.Docs;

// The C# blocks of README.md and docs/ that are not a region of a sample or a test: each region below
// is copied verbatim into the Markdown (tests/Webhooks.Scenarios.Tests/DocsSnippetTests.cs checks the
// copies), and this file is compiled with the tests, so every block compiles against the current API.
// The methods are not run: the samples and tests run the same calls.
#pragma warning disable CA1812, IDE0059, IDE0060, CS1998, CA1031, CS9113
internal static class DocsSnippets
{
    public static async Task GettingStartedAsync(WebApplicationBuilder builder, Order order)
    {
        #region getting-started
        builder.Services.AddWebhooks()                          // publisher, dispatcher (hosted service), in-memory stores
            .AddResource("order")                               // order.created, order.updated, order.deleted
            .AddEventType("invoice.paid", "An invoice was paid.");
        var app = builder.Build();

        // Your user subscribes (from your own API, or MapWebhooks() endpoints):
        var manager = app.Services.GetRequiredService<WebhookSubscriptionManager>();
        var created = await manager.CreateAsync(owner: "tenant-42", new WebhookSubscriptionDefinition
        {
            Name = "orders", Url = "https://example.com/hooks", Events = ["order.*"],
        });
        Console.WriteLine(created.Secret);                      // whsec_…: shown once; the receiver verifies with it

        // Your code publishes; matching subscriptions of that owner get a signed POST:
        var publisher = app.Services.GetRequiredService<IWebhookPublisher>();
        await publisher.PublishAsync("order.created", order, new WebhookPublishOptions { Owner = "tenant-42" });
        #endregion
    }

    public static void Endpoints(WebApplicationBuilder builder)
    {
        #region endpoints
        builder.Services.AddAuthentication(/* JWT, cookies, API keys... */);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy("ManageWebhooks", p => p.RequireAuthenticatedUser().RequireRole("Manage"));
        builder.Services.AddRateLimiter(o => o.AddFixedWindowLimiter("webhooks", w =>
        {
            w.PermitLimit = 60;
            w.Window = TimeSpan.FromMinutes(1);
        }));
        builder.Services.AddWebhooks().AddResource("order")
            .AddEndpoints(o => o.MaxRequestBodySize = 64 * 1024)   // required by MapWebhooks()
            .AddOwnerResolver<TenantOwnerResolver>();              // optional; default: the user's id claim

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.MapWebhooks("/webhooks")                  // returns IEndpointConventionBuilder
           .RequireAuthorization("ManageWebhooks")    // on top of "authenticated"; AllowAnonymous() opts out
           .RequireRateLimiting("webhooks");          // test sends make outbound requests
        #endregion
    }

    public static void Portal(WebApplicationBuilder builder)
    {
        #region portal
        builder.Services.AddWebhooks().AddResource("order")
            .AddEndpoints()
            .AddPortal();                                          // after AddOwnerResolver<T>(), if you use one

        var app = builder.Build();
        app.MapWebhooks("/webhooks").RequireAuthorization("ManageWebhooks");
        app.MapWebhooksPortal().RequireAuthorization("ManageWebhooks");   // /webhooks/portal
        #endregion
    }

    public static async Task PortalLinksAsync(IWebhookPortalLinks portalLinks)
    {
        #region portal-links
        var link = await portalLinks.CreateAsync(owner: "tenant-42", lifetime: TimeSpan.FromHours(1), readOnly: false);
        // link.Url: https://app.example.com/webhooks/portal/access#token=CfDJ8... (e-mail it, or redirect to it)
        await portalLinks.RevokeAsync("tenant-42");                // every link issued to that owner so far, and its sessions
        #endregion
    }

    public static void Receiving(WebApplication app)
    {
        #region receiving
        app.MapPost("/hooks/orders", (VerifiedWebhook webhook, [FromBody] OrderEvent e) =>
        {
            // webhook.Id is the same on every retry: use it to deduplicate. webhook.Body holds the exact bytes.
            return Results.NoContent();
        }).RequireWebhookSignature("whsec_current...", "whsec_previous...");   // two secrets during a rotation
        #endregion
    }

    public static void Sqlite(WebApplicationBuilder builder)
    {
        #region sqlite
        builder.Services.AddWebhooks().AddResource("order")
            .UseSqlite("Data Source=webhooks.db");   // created and migrated at start; WAL; one writer
        #endregion
    }

    public static void PostgreSql(WebApplicationBuilder builder)
    {
        #region postgresql
        builder.Services.AddWebhooks()
            .AddEventType(OrderEvents.Created)
            .UsePostgreSql(builder.Configuration.GetConnectionString("Webhooks")!, o =>
            {
                o.Schema = "webhooks";                       // default
            });
        // retention for every store: AddWebhooks(o => o.RetentionPeriod = TimeSpan.FromDays(30))  (default; null keeps all)
        // or .UsePostgreSql(dataSource) to reuse your NpgsqlDataSource
        #endregion
    }

    public static async Task OutboxAsync(NpgsqlConnection connection, IWebhookPublisher publisher, Order order, string tenantId)
    {
        #region outbox
        await using var tx = await connection.BeginTransactionAsync();
        await SaveOrderAsync(connection, tx, order);
        await publisher.PublishAsync(OrderEvents.Created, order, tx, new WebhookPublishOptions { Owner = tenantId });
        await tx.CommitAsync();
        #endregion
    }

    public static async Task DispatchOnceAsync(IWebhookDispatcher dispatcher, ILogger logger, CancellationToken cancellationToken)
    {
        #region dispatch-once
        // a timer-triggered function, every 30 s, allowed to run 25 s
        var result = await dispatcher.DispatchAsync(TimeSpan.FromSeconds(25), cancellationToken);
        logger.LogInformation("webhooks: {Result}", result);   // leased, sent (succeeded, retrying, failed), released, more due
        #endregion
    }

    public static void Health(WebApplicationBuilder builder)
    {
        #region health
        builder.Services.AddHealthChecks().AddWebhooks();   // or .AddWebhooks(o => o.DegradedAfter = TimeSpan.FromMinutes(2), tags: ["ready"])

        var app = builder.Build();
        app.MapHealthChecks("/healthz");
        #endregion
    }

    public static void HealthTuned(WebApplicationBuilder builder)
    {
        #region health-tuned
        builder.Services.AddHealthChecks()
            .AddWebhooks(o => o.DegradedAfter = TimeSpan.FromMinutes(2), tags: ["ready"]);
        #endregion
    }

    public static void OpenApi(WebApplicationBuilder builder)
    {
        #region openapi
        builder.Services.AddOpenApi(o => o.AddWebhooksToOpenApi());

        var app = builder.Build();
        app.MapOpenApi();   // /openapi/v1.json
        #endregion
    }

    public static void DataProtection(WebApplicationBuilder builder)
    {
        #region data-protection
        builder.Services.AddDataProtection()
            .PersistKeysToFileSystem(new DirectoryInfo("/var/keys"))
            .SetApplicationName("orders-webhooks");
        builder.Services.AddWebhooks().ProtectSecretsWithDataProtection();
        #endregion
    }

    public static async Task EksoAsync(WebApplicationBuilder builder, IWebhookPublisher publisher, object item, string tenantId)
    {
        #region recipe-ekso
        builder.Services.AddWebhooks()
            .AddEventType("item-add", "A new item is created", "item") /* ...the other 8... */
            .AddEndpoints(o => o.OwnerClaimType = "tenant");
        var app = builder.Build();
        app.MapWebhooks("/settings/hooks").RequireAuthorization("Manage");
        // one subscription per event: POST {"name":"item-add","url":...,"events":["item-add"]}
        await publisher.PublishAsync("item-add", item, new WebhookPublishOptions { Owner = tenantId });
        #endregion
    }

    public static async Task ElastioAsync(WebApplicationBuilder builder, IWebhookPublisher publisher, object evt, string tenant)
    {
        #region recipe-elastio
        builder.Services.AddWebhooks()
            .AddEventType(new WebhookEventType("backup.failed") { Group = "backup", Version = "V0" })
            .AddEndpoints(o => o.OwnerClaimType = "tenant");
        var app = builder.Build();
        app.MapWebhooks("/settings/webhooks").RequireAuthorization("Manage");
        await publisher.PublishAsync("backup.failed", evt, new WebhookPublishOptions { Owner = tenant,
            Attributes = new Dictionary<string, string> { ["severity"] = "error", ["version"] = "V0" } });
        // webhook: {"auth":{"type":"bearer","token":...},"filter":{"severity":["error","critical"]}}
        // "Test webhook": POST /settings/webhooks/test (unsaved) and /{id}/test; graph: /{id}/stats; history: /{id}/deliveries
        #endregion
    }

    public static async Task ExoAsync(WebApplicationBuilder builder, IWebhookPublisher publisher, object order, string userId)
    {
        #region recipe-exo
        builder.Services.AddWebhooks()
            .AddResource("order", "on_create", "on_update", "on_delete")
            .AddResource("contact", "on_create")
            .AddSubscriptionRule<OneResourceRule>()   // your IWebhookSubscriptionRule: one resource, unchangeable
            .AddEndpoints();                          // owner = the token's user id
        var app = builder.Build();
        app.MapWebhooks("/exo-api/webhooks");         // catalog: GET /exo-api/webhooks/event-types
        await publisher.PublishAsync("order.on_create", order, new WebhookPublishOptions { Owner = userId });
        #endregion
    }

    public static async Task CmdbAsync(WebApplicationBuilder builder, IWebhookPublisher publisher, object obj, object changes, object before, WebhookPublishOptions opts)
    {
        #region recipe-cmdb
        builder.Services.AddWebhooks().AddResource("object")  // object.created / .updated / .deleted
            .AddEndpoints().AddOwnerResolver<FixedOwnerResolver>();
        var app = builder.Build();
        app.MapWebhooks("/toolbox/webhooks").RequireAuthorization("Manage");
        await publisher.PublishAsync("object.created", obj, opts);                           // the full object
        await publisher.PublishAsync("object.updated", new { @object = obj, changes }, opts);  // with the changed fields
        await publisher.PublishAsync("object.deleted", before, opts);                        // as it was before deletion
        // logs: GET /toolbox/webhooks/{id}/deliveries[/{deliveryId}]
        #endregion
    }

    public static async Task EinpixAsync(WebApplicationBuilder builder, IWebhookPublisher publisher, string clientId)
    {
        #region recipe-einpix
        builder.Services.AddWebhooks(o =>
        {
            o.DefaultSignatureScheme = WebhookSignatureSchemes.HmacSha256Hex; // X-Webhook-Signature: sha256=<hex>
            o.EventTypeHeader = "X-Webhook-Action";
            o.SubscriptionNameHeader = "X-Webhook-Name";
            o.PayloadFormat = WebhookPayloadFormat.Data;                      // body {"entity","id"}
        })  // AllowHttp stays false: https only
            .AddEventType("task.created", group: "task") /* ...task.status.updated, worklog.deleted... */
            .AddEndpoints(o => o.OwnerClaimType = "tenant");
        await publisher.PublishAsync("task.comment", new { entity = "task_comment", id = 55, task_id = 1 }, new WebhookPublishOptions { Owner = clientId });
        // receiver: new WebhookVerifier(secret).VerifyHmacSha256Hex(header, body); de-duplicate on webhook-id
        #endregion
    }

    public static void EventTypes(WebApplicationBuilder builder)
    {
        #region event-types
        builder.Services.AddWebhooks()
            .AddEventType(OrderEvents.Created)                 // typed: WebhookEvent<Order>, JSON schema generated from Order
            .AddResource("invoice")                            // invoice.created, invoice.updated, invoice.deleted
            .AddEventType("payment.failed", o =>
            {
                o.Description = "A payment failed.";
                o.Group = "payment";
                o.RetrySchedule = [TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5), TimeSpan.FromHours(1)];
            })
            .AddEventType("customer.merged", o => o.Deprecated = true);
        #endregion
    }

    public static async Task PublishOptionsAsync(IWebhookPublisher publisher, Order order, string tenantId)
    {
        #region publish-options
        var result = await publisher.PublishAsync(OrderEvents.Created, order, new WebhookPublishOptions
        {
            Owner = tenantId,                                          // only this owner's subscriptions receive it
            IdempotencyKey = $"order-{order.Id}-created",              // the same key within IdempotencyWindow (24 h): no second message
            Attributes = new Dictionary<string, string> { ["region"] = "eu" },  // matched against subscriptions' Filter
        });
        Console.WriteLine($"{result.MessageId}: {result.DeliveryCount} deliveries, duplicate: {result.IsDuplicate}");
        #endregion
    }

    public static async Task RateLimitsAsync(WebhookSubscriptionManager subscriptions, IWebhookPublisher publisher, string tenant, OrderUpdated change, int id)
    {
        #region rate-limits
        await subscriptions.CreateAsync(tenant, new WebhookSubscriptionDefinition
        {
            Name = "warehouse", Url = "https://wh.example.com/hooks", Events = ["order.*"],
            RateLimit = 20,   // deliveries per second (1 to 10,000), burst of 20; null: no limit
            Ordered = true,   // one ordering key's events one after another, in publish order
        });
        await publisher.PublishAsync(OrderEvents.Updated, change, new WebhookPublishOptions { Owner = tenant, OrderingKey = $"order-{id}" });
        #endregion
    }

    public static void Configuration(WebApplicationBuilder builder)
    {
        #region configuration
        builder.Services.AddWebhooks(builder.Configuration, o =>   // binds the "Webhooks" section first
        {
            o.AttemptTimeout = TimeSpan.FromSeconds(10);
            o.RetrySchedule = [TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(10), TimeSpan.FromHours(1)];
            o.Network.AllowedHosts.Add("*.hooks.corp.example");
        });
        #endregion
    }

    public static async Task SubscriptionsFromCodeAsync(WebhookSubscriptionManager subscriptions, string tenantId)
    {
        #region subscriptions-code
        var created = await subscriptions.CreateAsync(tenantId, new WebhookSubscriptionDefinition
        {
            Name = "billing",
            Url = "https://billing.example.com/hooks",
            Events = ["invoice.*", "payment.failed"],
            Auth = WebhookAuth.Bearer("token-the-receiver-expects"),
            Filter = new Dictionary<string, IReadOnlyList<string>> { ["region"] = ["eu"] },
        });
        var rotated = await subscriptions.RotateSecretAsync(tenantId, created.Subscription.Id);   // old secret still signs for 24 h
        await subscriptions.SetActiveAsync(tenantId, created.Subscription.Id, active: false);
        var gone = await subscriptions.DeleteAsync(tenantId, created.Subscription.Id);              // false: not found or another owner's
        #endregion
    }

    public static async Task DeliveryLogAsync(WebhookDeliveryManager deliveries, WebhookTestSender tests, string tenantId, string subscriptionId)
    {
        #region delivery-log
        var failed = await deliveries.GetDeliveriesAsync(tenantId, subscriptionId, WebhookDeliveryStatus.Failed);   // null: not this owner's subscription
        foreach (var delivery in failed?.Items ?? [])
        {
            var details = await deliveries.GetDeliveryAsync(tenantId, delivery.Id);   // the delivery with every attempt
            Console.WriteLine($"{delivery.EventType}: {details!.Attempts.Count} attempts, last {delivery.LastStatusCode} {delivery.LastError}");
        }

        await deliveries.RecoverAsync(tenantId, subscriptionId, since: DateTimeOffset.UtcNow.AddDays(-1));    // requeue every failed one
        var attempt = await tests.SendAsync(tenantId, subscriptionId);                                          // a webhook.test, sent now
        #endregion
    }

    public static void VerifyManually(WebApplication app, string secret)
    {
        #region verify-manually
        app.MapPost("/hooks", async (HttpRequest request) =>
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            var body = buffer.ToArray();                          // verify the exact bytes, before parsing
            var h = request.Headers;
            var check = new WebhookVerifier(secret).Verify(h["webhook-id"], h["webhook-timestamp"], h["webhook-signature"], body);
            return check.IsValid ? Results.NoContent() : Results.Unauthorized();
        });
        #endregion
    }

    public static void ReceivingPerTenant(WebApplication app, Func<string, IEnumerable<string>> secretsOf)
    {
        #region receiving-resolver
        app.MapPost("/hooks/{tenant}", (string tenant, VerifiedWebhook webhook) => Results.NoContent())
            .RequireWebhookSignature(
                ctx => secretsOf((string)ctx.GetRouteValue("tenant")!),   // current and previous secret of this sender
                o => o.Tolerance = TimeSpan.FromMinutes(2));
        #endregion
    }

    public static void CustomStore(IServiceCollection services)
    {
        #region custom-store-register
        services.AddSingleton<IWebhookDeliveryStore>(new ListQueue(TimeProvider.System));   // before or after AddWebhooks(): yours wins
        services.AddWebhooks().AddResource("order");
        #endregion
    }

    public static void Observer(IServiceCollection services)
    {
        #region observer
        services.AddWebhooks().AddResource("order").AddObserver<PagerObserver>();
        #endregion
    }

    #region observer-class
    /// <summary>Hears what the engine decided: tell the subscription's owner, page someone, open a ticket.</summary>
    internal sealed class PagerObserver(ILogger<PagerObserver> logger) : IWebhookObserver
    {
        public Task OnSubscriptionDisabledAsync(WebhookSubscription subscription, string reason, CancellationToken cancellationToken)
        {
            logger.LogWarning("Webhook {Name} of {Owner} was disabled: {Reason}", subscription.Name, subscription.Owner, reason);
            return Task.CompletedTask;
        }

        public Task OnDeliveryFailedAsync(WebhookDelivery delivery, WebhookAttempt lastAttempt, CancellationToken cancellationToken)
        {
            logger.LogWarning("Gave up on {Delivery} after {Attempts} attempts", delivery.Id, lastAttempt.Number);
            return Task.CompletedTask;
        }
    }
    #endregion

    private sealed class ListQueue(TimeProvider clock) : IWebhookDeliveryStore
    {
        public Task<WebhookEnqueueResult> EnqueueAsync(WebhookMessage message, IReadOnlyList<WebhookDelivery> deliveries, WebhookEnqueueContext? context, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<WebhookLease>> LeaseAsync(int max, TimeSpan duration, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> CompleteAttemptAsync(WebhookLease lease, WebhookAttempt? attempt, WebhookDeliveryTransition transition, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> ReleaseAsync(WebhookLease lease, TimeSpan delay, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    private static Task SaveOrderAsync(NpgsqlConnection connection, DbTransaction tx, Order order) => Task.CompletedTask;

    internal sealed record OrderEvent(string Type, DateTimeOffset Timestamp, Order Data);

    #region owner-resolver
    /// <summary>Subscriptions belong to the caller's tenant (a claim), so every admin of a tenant sees the same ones.</summary>
    internal sealed class TenantOwnerResolver : IWebhookOwnerResolver
    {
        public ValueTask<string?> ResolveOwnerAsync(HttpContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult(context.User.FindFirstValue("tenant"));   // null answers 403
    }
    #endregion

    private sealed class FixedOwnerResolver : IWebhookOwnerResolver
    {
        public ValueTask<string?> ResolveOwnerAsync(HttpContext context, CancellationToken cancellationToken) => ValueTask.FromResult<string?>("toolbox");
    }

    private sealed class OneResourceRule : IWebhookSubscriptionRule
    {
        public ValueTask ValidateAsync(WebhookSubscriptionRuleContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
