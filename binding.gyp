{
  "variables": {
    # 1 only where the tests build: test/setup/global.ts and
    # scripts/test-sanitized.mjs set ARENASCOPE_WITH_TEST_ADDON; an install never does.
    "with_test_addon%": "<!(node -p \"process.env.ARENASCOPE_WITH_TEST_ADDON ? 1 : 0\")"
  },
  "target_defaults": {
    "include_dirs": [
      "<!(node -p \"require('node-addon-api').include_dir\")",
      "native"
    ],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
    "cflags_cc": ["-std=c++17", "-O2", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror=switch"],
    "conditions": [
      ["OS=='linux'", {
        "cflags_cc": ["<!@(node -p \"process.env.ARENASCOPE_SANITIZE ? '-fsanitize=address,undefined -fno-omit-frame-pointer -g' : ''\")"],
        "ldflags": ["<!@(node -p \"process.env.ARENASCOPE_SANITIZE ? '-fsanitize=address,undefined' : ''\")"]
      }]
    ]
  },
  "targets": [
    {
      # Every module of the addon (native/, less the fuzzers, the entry points
      # and the test-only code), shared by the production and the test addon.
      "target_name": "arenascope_core",
      "type": "static_library",
      "sources": [
        "<!@(node -e \"require('fs').readdirSync('native',{recursive:true}).filter(f=>f.endsWith('.cc')&&!/^(fuzz|testing)\\//.test(f)&&f!=='binding/addon.cc'&&f!=='ptmalloc/known_layouts.cc').forEach(f=>console.log('native/'+f))\")"
      ]
    },
    {
      "target_name": "arenascope",
      "dependencies": ["arenascope_core"],
      "sources": ["native/binding/addon.cc"]
    }
  ],
  "conditions": [
    ["with_test_addon==1", {
      "targets": [
        {
          # Test-only entry points (native/testing/testing.h); never installed.
          "target_name": "arenascope_test",
          "dependencies": ["arenascope_core"],
          "sources": [
            "<!@(node -e \"require('fs').readdirSync('native/testing').filter(f=>f.endsWith('.cc')).forEach(f=>console.log('native/testing/'+f))\")",
            "native/ptmalloc/known_layouts.cc"
          ]
        }
      ]
    }]
  ]
}
