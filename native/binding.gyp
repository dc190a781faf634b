{
  "targets": [
    {
      "target_name": "dunlin_udp",
      "sources": ["dunlin_udp.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "conditions": [["OS!='linux'", { "type": "none" }]]
    }
  ]
}
