// /api/docs.html: Swagger UI (the swagger-ui-dist package's own files, served as they are)
// over the document at /api/docs. Nothing is fetched from elsewhere: no validator badge.
window.ui = window.SwaggerUIBundle({
  url: "/api/docs",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  docExpansion: "list",
  defaultModelsExpandDepth: 0,
});
