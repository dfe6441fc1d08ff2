// The Orders sample: an orders API whose changes are published as webhooks, with the management
// endpoints at /webhooks. In-memory by default; see README for a curl session.
using Microsoft.AspNetCore.Authentication;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Webhooks.AspNetCore;
using Webhooks.Core;
using Webhooks.Core.Diagnostics;
using Webhooks.PostgreSql;
using Webhooks.Samples.Orders;
using Webhooks.Samples.Orders.Orders;

var builder = WebApplication.CreateBuilder(args);

// ── Callers: API keys from configuration (Sample:ApiKeys, key -> owner id; Sample:Roles, owner id -> roles).
builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
    .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
builder.Services.AddAuthorizationBuilder()
    .AddPolicy("ManageWebhooks", policy => policy.RequireAuthenticatedUser().RequireRole("Manage"));
builder.Services.AddProblemDetails();
builder.Services.AddOpenApi(o => o.AddWebhooksToOpenApi());    // the order events in the document's "webhooks" map
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<OrderStore>();

// ── Webhooks: the order events, the management endpoints, every option bound from section "Webhooks"
//    (Webhooks__AllowHttp=true, Webhooks__AttemptTimeout=00:00:05, Webhooks__Endpoints__DefaultPageSize=20,
//    ... work from the environment).
var webhooks = builder.Services.AddWebhooks()
    .AddEventType(OrderEvents.Created)
    .AddEventType(OrderEvents.Updated)
    .AddEventType(OrderEvents.Deleted)
    .AddEndpoints()
    .AddPortal();                                              // the web UI at /webhooks/portal, and its access links
var webhooksSection = builder.Configuration.GetSection("Webhooks");
builder.Services.Configure<WebhookOptions>(webhooksSection);
builder.Services.Configure<WebhookEndpointOptions>(webhooksSection.GetSection("Endpoints"));

// ── Health: Unhealthy when the webhook stores cannot be reached, Degraded when a due delivery has
//    waited more than 5 minutes (the dispatcher is not keeping up, or not running); GET /healthz.
builder.Services.AddHealthChecks().AddWebhooks();

// ── Telemetry: the library's meter and activity source (both "Webhooks") through OpenTelemetry, exported
//    over OTLP (with the logs) when OTEL_EXPORTER_OTLP_ENDPOINT is set (e.g. http://localhost:4317); dotnet-counters needs none of it.
#region telemetry
var telemetry = builder.Services.AddOpenTelemetry()
    .WithMetrics(m => m.AddMeter(WebhookDiagnostics.MeterName))         // "Webhooks"
    .WithTracing(t => t.AddSource(WebhookDiagnostics.ActivitySourceName)  // "Webhooks"
        .AddAspNetCoreInstrumentation());  // requests are sampled, so the publish spans inside them are kept
if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
{
    telemetry.UseOtlpExporter();   // logs, metrics and traces; the other OTEL_EXPORTER_OTLP_* settings apply
}
#endregion

// Loopback receivers (http://127.0.0.1:...) are allowed in Development only: the library's SSRF guard
// decides by the environment unless Webhooks:Network:AllowLoopback says otherwise; http:// itself is
// allowed by Webhooks:AllowHttp, which appsettings.Development.json sets.

// ── Storage: in-memory by default; PostgreSQL (durable, shared by every instance, nothing lost
//    when a process dies) when ConnectionStrings:Webhooks is set, e.g. ConnectionStrings__Webhooks=...
if (builder.Configuration.GetConnectionString("Webhooks") is { Length: > 0 } connectionString)
{
    webhooks.UsePostgreSql(connectionString);
    builder.Services.Configure<PostgreSqlWebhookOptions>(webhooksSection.GetSection("PostgreSql")); // Webhooks:PostgreSql:Schema, ListenForNotifications
    // History is removed after Webhooks:RetentionPeriod (30 days by default), the same setting for every store that supports it.
}
else if (builder.Configuration.GetConnectionString("WebhooksSqlite") is { Length: > 0 } sqlite)
{
    // One file, e.g. ConnectionStrings__WebhooksSqlite="Data Source=orders-webhooks.db". With
    // Webhooks__Dispatcher__Enabled=false this app only enqueues and samples/Webhooks.Samples.Worker sends.
    webhooks.UseSqlite(sqlite);
}

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();

app.MapOpenApi();                                              // /openapi/v1.json
app.MapHealthChecks("/healthz", new() { ResponseWriter = HealthJson.WriteAsync });
app.MapWebhooks("/webhooks").RequireAuthorization("ManageWebhooks");
app.MapWebhooksPortal().RequireAuthorization("ManageWebhooks"); // /webhooks/portal: callers here use API keys, so people open it with access links
app.MapOrders();
if (app.Environment.IsDevelopment())
{
    app.MapDevReceiver();                                      // a receiver to subscribe to: http://127.0.0.1:5080/dev/receiver
    app.MapDevPortalLink();                                    // http://127.0.0.1:5080/dev/portal-link?owner=alice prints an access link to the portal
}

app.Run();
