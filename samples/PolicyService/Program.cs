using PolicyService;

// Serves on the URLs ASP.NET Core is given (--urls, ASPNETCORE_URLS; default http://localhost:5000).
await PolicyServiceApp.Build(args).RunAsync();
