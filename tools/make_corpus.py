#!/usr/bin/env python3
"""Build corpus/train-v1.jsonl: the prompt corpus the zstd-dict-v1 dictionary is trained on.

Written by the semcodec project (Apache-2.0, like the rest of the repository);
no third-party text is used.  A small compositional grammar over hand-written
vocabulary lists produces structured prompts phrased the way a vision-language
model describes a photograph for a text-to-image model: a scene sentence, a few
short noun phrases with colour / material / count / position, a lighting phrase
and, for some prompts, a style (photographic or artistic medium).

The output is a pure function of SEED and COUNT (Python's ``random.Random`` is
stable across versions for ``random()``, ``choice`` and ``randint``), so running
``python tools/make_corpus.py`` reproduces the committed file byte for byte.

Template syntax: ``{slot}`` is replaced by a random entry of SLOTS[slot] (entries
may contain slots themselves), ``[a|b|c]`` by one of its alternatives, ``[a|]``
means "a or nothing".  Double spaces and stray spaces before commas are tidied.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

SEED = 20250101
COUNT = 6000
MIN_TEXT_BYTES = 60
MAX_TEXT_BYTES = 420

# ---------------------------------------------------------------------------
# Shared vocabulary
# ---------------------------------------------------------------------------

SLOTS: dict[str, list[str]] = {
    "color": [
        "red", "deep red", "crimson", "scarlet", "brick red", "burgundy", "maroon", "orange", "burnt orange",
        "rust-coloured", "amber", "mustard yellow", "yellow", "lemon yellow", "pale yellow", "lime green", "green",
        "olive green", "forest green", "emerald green", "sage green", "mint green", "teal", "turquoise",
        "light blue", "sky blue", "pale blue", "navy blue", "cobalt blue", "royal blue", "denim blue",
        "purple", "violet", "lavender", "lilac", "pink", "pale pink", "hot pink", "magenta", "coral",
        "peach", "brown", "dark brown", "chocolate brown", "tan", "beige", "cream", "ivory", "white",
        "off-white", "black", "matte black", "charcoal grey", "grey", "light grey", "silver", "gold",
        "copper", "bronze", "khaki", "navy", "dusty rose", "blue", "dark green", "bright red",
    ],
    "bright": ["red", "yellow", "orange", "blue", "green", "pink", "purple", "white", "turquoise", "bright red",
               "lime green", "sky blue", "hot pink", "sunflower yellow", "coral"],
    "dark": ["black", "dark grey", "charcoal", "navy blue", "dark brown", "deep green", "burgundy", "dark blue"],
    "metal": ["stainless steel", "brushed steel", "chrome", "brass", "copper", "aluminium", "cast iron",
              "wrought iron", "rusty metal", "galvanised steel", "gold-plated", "silver"],
    "wood": ["wooden", "oak", "walnut", "pine", "teak", "birch", "dark wood", "light wood", "reclaimed wood",
             "weathered wooden", "painted wooden", "bamboo", "cherry wood"],
    "fabric": ["linen", "cotton", "wool", "velvet", "denim", "silk", "knitted", "corduroy", "tweed", "canvas",
               "leather", "suede", "fleece", "satin", "checked", "striped", "floral"],
    "material": ["{wood}", "{metal}", "glass", "ceramic", "porcelain", "plastic", "wicker", "rattan", "marble",
                 "concrete", "stone", "terracotta", "leather", "enamel", "clay", "cardboard", "paper"],
    "n": ["two", "two", "two", "three", "three", "four", "five", "six", "several", "a few", "a dozen", "many"],
    "size": ["small", "large", "tiny", "big", "tall", "short", "long", "wide", "narrow", "huge", "little",
             "oversized", "miniature"],
    "state": ["old", "new", "worn", "weathered", "shiny", "dusty", "chipped", "polished", "faded", "vintage",
              "battered", "clean", "scratched", "half-empty", "brand-new"],
    "pos": [
        "on the left", "on the right", "in the foreground", "in the background", "in the centre",
        "in the center", "at the bottom of the frame", "at the top of the frame", "in the top left corner",
        "in the lower right corner", "near the edge of the frame", "partly out of frame", "to the left",
        "to the right", "behind", "in front", "slightly out of focus", "blurred in the foreground",
        "in the middle distance", "off-centre", "at the left edge", "along the bottom",
    ],
    "person": [
        "a young woman", "a young man", "an elderly woman", "an elderly man", "a middle-aged man",
        "a middle-aged woman", "a teenage girl", "a teenage boy", "a little girl", "a little boy", "a toddler",
        "a woman in her thirties", "a man in his twenties", "a bearded man", "a woman with long dark hair",
        "a woman with curly red hair", "a man with short grey hair", "a blonde woman", "a bald man",
        "a girl with braids", "an old man with a white beard", "a young mother", "a father",
        "a woman with a short bob", "a man with glasses", "a woman with freckles", "a smiling woman",
        "a smiling man", "a serious-looking man", "a laughing child",
    ],
    "people": [
        "two friends", "a couple", "a young couple", "an elderly couple", "a family of four", "three children",
        "a group of teenagers", "a group of tourists", "two women", "two men", "a crowd of people",
        "a group of friends", "several commuters", "a few pedestrians", "a mother and daughter",
        "a father and son", "two colleagues", "a small group of hikers", "schoolchildren",
    ],
    "garment": [
        "{color} t-shirt", "{color} hoodie", "{color} raincoat", "{color} {fabric} jacket", "{color} sweater",
        "{color} dress", "{color} summer dress", "{dark} suit", "{color} coat", "{fabric} shirt",
        "white shirt", "denim jacket", "{color} puffer jacket", "{color} scarf", "{color} cap", "{color} beanie",
        "leather jacket", "{color} blouse", "{color} overalls", "{color} apron", "{color} uniform",
        "{color} tracksuit", "trench coat", "{color} cardigan", "{color} polo shirt", "{color} parka",
    ],
    "dog": ["golden retriever", "labrador", "black labrador", "border collie", "dachshund", "pug", "beagle",
            "german shepherd", "french bulldog", "corgi", "husky", "poodle", "jack russell terrier",
            "scruffy mixed-breed dog", "greyhound", "shiba inu", "dalmatian", "chihuahua", "boxer",
            "spaniel", "bernese mountain dog", "small white terrier", "brown dog", "black dog"],
    "cat": ["tabby cat", "ginger cat", "black cat", "white cat", "grey cat", "calico cat", "siamese cat",
            "fluffy persian cat", "tuxedo cat", "kitten", "orange kitten", "striped cat", "maine coon cat"],
    "bird": ["sparrow", "robin", "blue tit", "seagull", "pigeon", "crow", "magpie", "heron", "kingfisher",
             "parrot", "hummingbird", "owl", "hawk", "eagle", "duck", "swan", "flamingo", "pelican",
             "woodpecker", "finch", "goldfinch", "blackbird", "cockatoo", "puffin", "egret", "stork"],
    "birds": [],  # the plurals of "bird", filled in below
    "wild": ["deer", "red fox", "brown bear", "elephant", "giraffe", "zebra", "lion", "lioness", "tiger",
             "leopard", "cheetah", "wolf", "moose", "bison", "kangaroo", "koala", "squirrel", "hedgehog",
             "rabbit", "hare", "otter", "seal", "monkey", "gorilla", "raccoon", "badger", "polar bear",
             "camel", "hippo", "rhino", "antelope", "elk", "wild boar", "meerkat", "panda", "sloth"],
    "farm": ["cow", "black and white cow", "brown cow", "horse", "chestnut horse", "white horse", "pony",
             "sheep", "lamb", "goat", "pig", "piglet", "chicken", "rooster", "donkey", "alpaca", "llama",
             "goose", "duckling"],
    "fruit": ["apples", "red apples", "green apples", "oranges", "lemons", "limes", "bananas", "pears",
              "peaches", "plums", "cherries", "strawberries", "blueberries", "raspberries", "grapes",
              "figs", "pomegranates", "mangoes", "kiwis", "tangerines", "apricots", "avocados"],
    "veg": ["tomatoes", "cherry tomatoes", "carrots", "red peppers", "green peppers", "onions", "red onions",
            "garlic bulbs", "potatoes", "aubergines", "courgettes", "cucumbers", "leeks", "broccoli",
            "cabbages", "mushrooms", "radishes", "beetroots", "pumpkins", "sweet potatoes", "chillies",
            "asparagus", "lettuces", "cauliflowers", "zucchini", "eggplants", "corn cobs"],
    "flower": ["roses", "red roses", "tulips", "yellow tulips", "sunflowers", "daisies", "lavender",
               "peonies", "orchids", "lilies", "poppies", "red poppies", "hydrangeas", "daffodils",
               "dahlias", "wildflowers", "cherry blossoms", "carnations", "marigolds", "chrysanthemums",
               "bluebells", "gerberas", "white lilies", "pink peonies"],
    # singular and plural forms of one hand-written list of trees
    "tree": ["oak tree", "pine tree", "willow tree", "maple tree", "cherry tree in bloom", "apple tree", "baobab tree",
             "cedar tree"],
    "trees": ["birch trees", "palm trees", "olive trees", "cypress trees", "fir trees", "bare trees", "beech trees",
              "eucalyptus trees", "spruce trees", "poplar trees", "oak trees", "pine trees", "willow trees",
              "maple trees", "cherry trees in bloom", "apple trees", "cedar trees"],
    "car": ["{color} sedan", "{color} hatchback", "{color} SUV", "{color} pickup truck", "{color} sports car",
            "vintage {color} convertible", "{color} station wagon", "{color} minivan", "{color} taxi",
            "yellow taxi", "black cab", "{color} electric car", "{color} vintage beetle", "{color} jeep",
            "{state} {color} van", "{color} delivery van", "police car", "{color} muscle car",
            "{color} compact car", "classic {color} car"],
    "city": ["Paris", "Tokyo", "New York", "London", "Rome", "Barcelona", "Lisbon", "Amsterdam", "Istanbul",
             "Hong Kong", "Marrakech", "Venice", "Prague", "Havana", "Mumbai", "Berlin", "Kyoto", "Seoul",
             "Mexico City", "San Francisco", "Copenhagen", "Bangkok", "Dublin", "Edinburgh"],
    "weather": ["on a sunny day", "on an overcast day", "after the rain", "in light rain", "in the fog",
                "on a misty morning", "in the snow", "on a windy afternoon", "at dusk", "at dawn",
                "in the evening", "at midday", "in late afternoon", "on a grey winter day", "in summer",
                "in autumn", "in spring", "in winter", "at sunset", "at night", "on a hazy day",
                "under a stormy sky", "during a thunderstorm", "on a clear morning"],
    "view": ["seen from above", "seen from below", "seen from the side", "viewed from the street",
             "shot from a low angle", "shot from a high angle", "close-up", "wide shot", "medium shot",
             "overhead view", "top-down view", "eye-level view", "aerial view", "shot through a window",
             "seen through the trees", "framed by a doorway", "three-quarter view", "extreme close-up",
             "long shot", "low-angle view", "wide-angle view", "from across the street",
             "symmetrical composition", "centered composition", "rule-of-thirds composition"],
}

# ---------------------------------------------------------------------------
# Lighting
# ---------------------------------------------------------------------------

LIGHTING: dict[str, list[str]] = {
    "indoor": [
        "soft natural daylight from a window on the [left|right]",
        "[soft|bright|diffuse|gentle] daylight from a large window",
        "warm [tungsten|incandescent|lamp] light, [deep|soft|long] shadows",
        "warm light from a table lamp, dim background",
        "cool [fluorescent|overhead] light",
        "bright even overhead lighting",
        "[warm|soft] afternoon sun through the blinds, striped shadows",
        "[dim|moody|low] light with [warm|orange] highlights",
        "golden morning light streaming through the window",
        "mixed daylight and warm interior light",
        "[soft|flat] indoor lighting, muted colours",
        "candlelight, warm glow, dark surroundings",
        "[natural|diffuse] window light, [neutral|warm|cool] tones",
        "harsh direct sunlight across the [floor|table|wall]",
        "overcast daylight through the windows, soft shadows",
        "warm evening light, cosy atmosphere",
        "[soft|warm] light from pendant lamps",
        "bright daylight, white balanced, airy feel",
        "dim, cool blue light from a screen",
        "string lights, warm bokeh in the background",
    ],
    "day": [
        "bright midday sun, [hard|short|crisp] shadows",
        "[soft|warm] golden hour light from the [left|right|west]",
        "golden hour, long shadows, warm tones",
        "overcast sky, soft diffuse light",
        "[flat|even] grey daylight",
        "clear blue sky, bright sunlight",
        "late afternoon sun, warm [orange|golden] glow",
        "early morning light, [pale|cool] blue tones",
        "sunlight filtering through the [trees|leaves|clouds]",
        "dappled sunlight, [green|warm] tones",
        "hazy sunlight, [soft|low] contrast",
        "backlit by the [setting|low|rising] sun, rim light",
        "dramatic storm light, dark clouds",
        "bright sunny day, saturated colours",
        "soft morning light, light mist",
        "cloudy day, muted [colours|colors]",
        "sunset, [pink|orange|purple] sky",
        "sunrise, [warm|pink] light on the horizon",
        "blue hour, [deep blue|cool] sky",
        "strong side light from the low sun",
        "daylight, partly cloudy sky",
        "harsh noon light, high contrast",
        "diffuse light under thick fog",
        "bright snow glare, [cold|cool] tones",
    ],
    "night": [
        "night, [orange|yellow|sodium] street lights",
        "night, neon signs reflecting on [wet pavement|the wet street|puddles]",
        "dark night, [headlights|car lights] and light trails",
        "blue hour, city lights coming on",
        "moonlight, [cold|cool] blue tones",
        "night, warm light from [windows|shop fronts|lanterns]",
        "[colourful|colorful|pink and blue] neon light",
        "dim street lighting, deep shadows",
        "night sky, [stars|milky way] visible",
        "[warm|flickering] firelight in the dark",
        "floodlights, black sky",
        "night, [bokeh|blurred] city lights in the background",
    ],
    "studio": [
        "soft studio lighting, white background",
        "studio light, [seamless|plain] [grey|white|black] backdrop",
        "[soft|diffuse] key light from the [left|right], gentle fill",
        "dramatic side lighting, dark background",
        "high-key lighting, bright and clean",
        "low-key lighting, black background",
        "softbox lighting, [subtle|soft] reflections",
        "rim lighting, dark backdrop",
        "even diffuse light, no harsh shadows",
        "[warm|cool] studio light, [pastel|coloured] background",
    ],
    "under": [
        "sunlight rays through the water, blue tones",
        "deep blue water, dim light",
        "[turquoise|clear] shallow water, caustic light patterns",
        "murky green water, diffuse light",
    ],
}

STYLES_PHOTO = [
    "photo", "photo, 35mm", "photo, 50mm lens", "35mm film photo", "DSLR photo, shallow depth of field",
    "photo, shallow depth of field, bokeh", "film photograph, [grainy|slight grain], Kodak Portra 400",
    "black and white photograph", "black and white photo, high contrast", "smartphone photo",
    "aerial drone photo", "macro photo, [100mm lens|extreme detail]", "long exposure photograph",
    "polaroid photo, faded colours", "tilt-shift photo", "HDR photo", "wide-angle photo, 16mm",
    "telephoto shot, [200mm|300mm|400mm] lens", "vintage 1970s photo", "documentary photo",
    "street photography", "product photo", "editorial photo", "fashion photography",
    "wildlife photography, telephoto", "food photography", "architectural photography",
    "portrait photo, 85mm lens, f/1.8", "candid photo", "analog photo, soft focus", "photojournalism",
    "sharp focus, high detail photo", "4k photo", "cinematic photo, [anamorphic|widescreen]",
    "faded vintage photo", "sepia photograph", "infrared photo", "fisheye photo", "flash photo",
    "disposable camera photo", "medium format film photo", "real estate photo",
]
STYLES_ART = [
    "watercolour painting", "watercolor painting", "oil painting", "impressionist oil painting",
    "acrylic painting", "gouache illustration", "pencil sketch", "charcoal drawing", "ink drawing",
    "pen and ink illustration", "3D render", "isometric 3D render", "low-poly 3D render",
    "Pixar-style 3D render", "anime illustration", "cartoon illustration", "flat vector illustration",
    "pixel art", "linocut print", "woodblock print", "children's book illustration", "comic book style",
    "pastel drawing", "digital painting", "concept art", "claymation", "paper cut-out collage",
    "stained glass", "ukiyo-e style print", "art deco poster", "vintage travel poster",
    "blueprint drawing", "cel-shaded illustration", "line art, black and white", "mosaic",
    "embroidery", "chalk drawing on a blackboard", "risograph print", "screen print, limited colours",
]

# ---------------------------------------------------------------------------
# Domains
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Domain:
    name: str
    weight: int
    light: tuple[str, ...]  # LIGHTING keys
    scenes: tuple[str, ...]
    objects: tuple[str, ...]
    art: float = 0.15  # probability of an artistic style when a style is present


D = Domain

DOMAINS: tuple[Domain, ...] = (
    D("home", 6, ("indoor",), (
        "a [cosy|cozy|bright|small|spacious|minimalist|cluttered|modern|rustic|Scandinavian-style] living room"
        " with a {color} sofa [and {material} coffee table|by a large window|and bookshelves|and a fireplace|]",
        "a [small|tidy|messy|sunny|dark] bedroom with a [double|single|wrought iron|wooden] bed [and {color} bedding|under a sloped ceiling|]",
        "a [modern|bright|rustic|small|old-fashioned|galley] kitchen with {color} cabinets [and a {material} countertop|and open shelves|]",
        "a [cluttered|tidy|minimalist|cosy] home office with a {wood} desk [by a window|under a shelf|in the corner|]",
        "a [narrow|wide|tiled|carpeted] hallway [with framed pictures on the walls|leading to an open door|]",
        "a [small|white|tiled|marble] bathroom with a [clawfoot bathtub|walk-in shower|pedestal sink|round mirror]",
        "a [sunlit|quiet|cluttered] corner of a room with a {color} armchair [and a floor lamp|by the window|]",
        "a [tidy|messy|colourful] children's bedroom with toys on the floor",
        "a [bright|cramped|cosy] attic room with exposed wooden beams",
        "a dining room with a {wood} table set for [dinner|lunch|breakfast] [, {view}|]",
        "a [small|sunny] balcony with potted plants [overlooking the city|and a folding chair|]",
        "an unmade bed with {color} sheets [, {view}|]",
        "a windowsill with potted plants [, {view}|]",
        "a [vintage|retro|1970s] living room with {color} wallpaper",
        "a [laundry room|utility room] with a washing machine",
    ), (
        "a {color} {fabric} sofa", "a {color} armchair", "a {material} coffee table", "a {wood} bookshelf full of books",
        "{n} {color} cushions", "a {fabric} throw blanket", "a potted [monstera|fern|fiddle-leaf fig|snake plant|cactus|palm]",
        "a floor lamp with a {color} shade", "a {color} rug", "a [large|round|small] mirror", "a framed [poster|painting|photograph]",
        "a {color} ceramic vase of {flower}", "a television on a {wood} stand", "{n} framed photos on the wall",
        "a {material} side table", "a stack of books", "a [sleeping|curled-up] {cat}", "a {dog} lying on the rug",
        "a {color} mug on the table", "white curtains", "{color} curtains", "a [brick|stone|marble] fireplace",
        "a {wood} chair", "a desk lamp", "a [silver|black|grey] laptop", "an open notebook", "a cup of coffee",
        "a {color} pendant lamp", "a wall clock", "a [woven|wicker] basket", "a radiator under the window",
        "a {color} bedspread", "{n} pillows", "a bedside table with a lamp", "a wardrobe", "a chest of drawers",
        "a {color} kettle", "a fruit bowl with {fruit}", "a {metal} sink", "a gas stove", "a fridge covered in magnets",
        "{n} {color} mugs on hooks", "a {wood} cutting board", "jars of pasta and rice", "a dish rack",
        "a toy train", "a teddy bear", "a [guitar|acoustic guitar] leaning on the wall", "a record player",
        "a [hanging|trailing] plant", "a ceiling fan", "sheer curtains", "a houseplant on the windowsill",
    )),
    D("cafe", 4, ("indoor", "day"), (
        "a [busy|quiet|cosy|small|crowded|trendy|old-fashioned] café [with {material} tables|with large windows|with a long counter|]",
        "a [small|narrow|corner] coffee shop [with exposed brick walls|with hanging plants|with a chalkboard menu|]",
        "a [busy|dimly lit|elegant|family] restaurant [dining room|terrace|interior] [with white tablecloths|with wooden booths|]",
        "a [crowded|noisy|quiet|traditional] [pub|bar|wine bar|cocktail bar] [with a long wooden counter|with shelves of bottles|]",
        "a [sunny|shaded] pavement café terrace [in {city}|on a cobbled street|by a square|]",
        "a [bakery|patisserie] counter [full of pastries|with a glass display case|]",
        "a [small|busy] ramen bar [with stools along the counter|]",
        "a [fast food|diner] booth [with {color} vinyl seats|]",
        "a barista making coffee behind the counter",
        "a table by the window of a café [, {view}|]",
    ), (
        "a [cappuccino|latte|flat white|espresso|cup of black coffee] [in a {color} cup|with latte art|]",
        "a {color} espresso machine", "a glass display case of pastries", "{n} croissants", "a slice of [cake|cheesecake|carrot cake]",
        "{n} {wood} tables", "{n} {metal} bar stools", "a chalkboard menu", "{person} [reading|typing on a laptop|drinking coffee|looking at a phone]",
        "{person} in a {garment}", "a barista in a {color} apron", "hanging [Edison bulbs|pendant lights]", "shelves of [bottles|jars|coffee bags]",
        "a glass of [red wine|white wine|beer|iced coffee|orange juice|water]", "a [small|ceramic] vase with a single flower",
        "a menu on the table", "{people} at a table", "a [wicker|{metal}] chair", "a striped awning",
        "a cake stand", "a [tip jar|cash register|card reader]", "a [plate|bowl] of [soup|pasta|salad|noodles]",
        "potted plants by the window", "a [neon|hand-painted] sign", "an open laptop", "a waiter carrying a tray",
    )),
    D("food", 6, ("indoor", "studio", "day"), (
        "a [plate|bowl|board] of {dish} [on a {material} table|on a {color} tablecloth|on a {wood} table|]",
        "{dish} [served|plated] [on a white plate|in a {color} bowl|on a {material} platter|on a {wood} board]",
        "a [close-up|top-down view|overhead shot] of {dish}",
        "a breakfast table with {dish}",
        "a [rustic|farmhouse|modern] kitchen counter with ingredients for {dish}",
        "a [picnic|buffet] spread with {dish}",
        "a [homemade|freshly baked|steaming|colourful] {dish} [, {view}|]",
        "a [street food stall|food truck] serving {dish}",
    ), (
        "a [fork|knife|spoon|pair of chopsticks] [beside the plate|on a napkin|]", "a {color} linen napkin",
        "a glass of [water|red wine|white wine|lemonade|milk|orange juice]", "a [small|glass] bowl of [salt|herbs|olive oil|sauce|dip]",
        "fresh [basil|parsley|coriander|mint|rosemary|thyme] leaves", "a wedge of lemon", "scattered [crumbs|flour|sesame seeds|spices]",
        "{n} {fruit}", "a {wood} cutting board", "a [cast iron|copper|black] pan", "a {color} ceramic plate",
        "a cup of [tea|coffee]", "a basket of bread", "a jar of [honey|jam|pickles]", "a [teapot|coffee pot]",
        "a bottle of olive oil", "a [pile|bunch] of {veg}", "a [grater|whisk|wooden spoon|rolling pin]",
        "a {color} tablecloth", "a [hand|person's hand] holding a [fork|spoon|glass]", "a candle",
        "a small bowl of [berries|olives|nuts|yoghurt]", "sliced {veg}", "a [chopped|halved] avocado",
    )),
    D("street", 7, ("day", "night"), (
        "a [busy|quiet|narrow|wide|steep|cobbled|tree-lined|crowded|empty|rainy] street in {city} {weather}",
        "a [busy|quiet|narrow|winding] [street|alley|lane] [in an old town|in a residential area|in the city centre|lined with shops]",
        "a [busy|empty] pedestrian crossing [in {city}|downtown|]",
        "a [crowded|colourful|covered|open-air|night] market [street|square] [in {city}|]",
        "a city square with a [fountain|statue|clock tower] {weather}",
        "a row of [terraced|colourful|brick|Victorian|whitewashed] houses [on a hill|along a canal|]",
        "a [busy|quiet] intersection with traffic lights",
        "a [modern|glass|concrete] office district with skyscrapers",
        "a [suburban|residential] street with parked cars and front gardens",
        "a [graffiti-covered|narrow|brick] alleyway",
        "a [busy|bustling] shopping street with shop signs",
        "a [canal|river] in {city} with [boats|bridges|houseboats]",
        "the skyline of {city} [at night|at sunset|from a rooftop|across the river]",
        "a [small|quiet|sleepy] village street {weather}",
        "a [bus stop|tram stop] on a [busy|quiet] street",
    ), (
        "a {car} parked on the [left|right|street]", "{n} parked cars", "a [red|double-decker|city] bus", "a {color} tram",
        "a cyclist on a {color} bicycle", "{n} pedestrians", "{person} in a {garment} [walking|crossing the street|waiting]",
        "{people} [walking|talking|crossing the road]", "a [street lamp|lamp post]", "{n} street lamps", "a traffic light",
        "a [zebra crossing|pedestrian crossing]", "shop fronts with {color} awnings", "a [neon|lit|hanging|painted] sign",
        "a [brick|stone|glass|concrete] building", "[tall|glass] skyscrapers", "a [stone|iron] bridge", "{n} {trees}",
        "[wet|cobbled|cracked] pavement", "puddles reflecting the [lights|sky|buildings]", "a [red|blue] post box", "a fire hydrant",
        "a [motorbike|scooter] parked by the kerb", "a [flower stall|newspaper kiosk|food cart]", "[overhead wires|tram wires]",
        "a {color} front door", "window boxes with {flower}", "a church tower", "graffiti on the wall",
        "a [wooden|metal] bench", "a delivery van", "{n} umbrellas", "a [dog walker|street musician|street vendor]",
    )),
    D("nature", 8, ("day",), (
        "a [misty|dense|sunlit|dark|autumn|pine|birch|bamboo|tropical|snowy] forest [with a path|with a stream|]",
        "a [green|rolling|golden] [meadow|field|valley|hillside] {weather}",
        "a [calm|still|clear|misty|alpine|frozen] lake surrounded by [mountains|forest|reeds|hills]",
        "a [snow-capped|rocky|jagged|distant] mountain range {weather}",
        "a [rocky|sandy|pebble|empty|tropical|windswept] beach {weather}",
        "a [tall|small|hidden] waterfall [in a forest|over mossy rocks|in a canyon]",
        "a [winding|narrow|fast-flowing|shallow] river [through a valley|through the woods|with rocks]",
        "a [vast|red|sandy|rocky] desert with [dunes|cacti|rock formations] {weather}",
        "a [field|hillside] of {flower} {weather}",
        "[rugged|white|steep] cliffs above the sea {weather}",
        "a [country|dirt|gravel] road through [fields|hills|the forest]",
        "a [snowy|frosty|icy] landscape with {trees}",
        "a [tropical|rocky] island in a [turquoise|calm] sea",
        "a [volcano|glacier|canyon|gorge|fjord|marsh|swamp|savanna] {weather}",
        "rice terraces on a hillside",
        "a [vineyard|lavender field|wheat field|tea plantation|orchard] {weather}",
        "a starry night sky over [mountains|a desert|a lake|a forest]",
        "waves crashing on [rocks|the shore|a pier]",
    ), (
        "{n} {trees}", "a single {tree}", "[snow-capped|distant|rocky|blue] mountains in the background", "a [wooden|stone] bridge",
        "a [dirt|narrow|winding] path", "moss-covered rocks", "a [wooden|small] cabin", "[white|fluffy|dark|wispy] clouds",
        "a [calm|reflective|rippling] water surface", "{n} [sheep|cows|horses] grazing", "a [flock|line] of birds in the sky",
        "[tall|dry|green] grass", "{flower} in the foreground", "a [red|white|wooden] boat", "a [wooden|old] fence",
        "a [lone|small] hiker in a {color} jacket", "a [rainbow|double rainbow]", "fallen leaves", "a [small|rocky] island",
        "[sand dunes|rock formations]", "a [wooden|long] pier", "seaweed on the rocks", "a lighthouse", "a [fallen log|tree stump]",
        "ferns", "a [deer|red fox|{bird}]", "reeds along the shore", "[fog|mist] between the hills", "a [stone|dry stone] wall",
        "the sun low on the horizon", "a [tent|campfire]", "[pebbles|shells] on the sand", "a [red|green] barn in the distance",
    )),
    D("pets", 5, ("indoor", "day"), (
        "a [{dog}|{cat}] [sleeping|sitting|lying|playing|yawning|looking up] [on a sofa|on a bed|on the floor|in a garden|on the grass|by a window|in a basket]",
        "a [happy|wet|muddy|fluffy|young|old] {dog} [running|playing fetch|jumping|swimming] [in a park|on a beach|in the snow|in a field]",
        "a [curious|sleepy|playful] {cat} [on a windowsill|in a cardboard box|under a blanket|on a bookshelf|on a kitchen counter]",
        "a portrait of a {dog} [, {view}|]",
        "a close-up portrait of a {cat} [with [green|yellow|amber|blue|copper|golden] eyes|]",
        "{person} [walking|hugging|playing with|holding] a {dog}",
        "a [hamster|rabbit|guinea pig|parrot|tortoise|goldfish] in its [cage|hutch|tank|bowl]",
        "two [puppies|kittens] [playing|sleeping] together",
    ), (
        "a [red|blue|tartan|leather] collar", "a [ball|tennis ball|frisbee|stick|chew toy|ball of yarn]", "a {color} dog bed",
        "a {color} {fabric} blanket", "a food bowl", "a [leash|lead] held by a person", "a {color} sofa", "green grass",
        "a [wooden|white] floor", "a window with {color} curtains", "a scratching post", "{n} [puppies|kittens]",
        "a {cat}", "a {dog}", "a cardboard box", "a [knitted|wool] blanket", "paw prints in the [snow|sand|mud]",
        "a person's hand", "autumn leaves", "a [garden|park] bench", "a {color} ball", "[blurred|green] background",
    ), art=0.2),
    D("wildlife", 5, ("day",), (
        "a [{wild}|{bird}] [standing|walking|resting|grazing|drinking|running|perched|hunting] [in tall grass|on a branch|by a river|in the snow|on a rock|in the savanna|at the edge of a forest|in a field]",
        "a herd of [elephants|zebras|wildebeest|deer|bison|horses] [crossing a river|on the plains|in a valley]",
        "a [flock|group|pair] of {birds} [on a lake|in flight|on a wire|on the shore]",
        "a close-up of a {wild} [face|eyes|in profile]",
        "a {bird} in flight [against a {color} sky|over the water|over the trees]",
        "a [mother|young] {wild} with its [cub|calf|young]",
        "[penguins|seals|sea lions] on [an ice floe|a rocky beach|the shore]",
        "a {farm} [in a field|in a barn|behind a fence|on a farm]",
        "a [group|family|herd|flock] of [sheep|cows|goats|horses|pigs|chickens|alpacas|geese|ducks] [grazing|in a pen|on a hillside]",
    ), (
        "[tall|dry|golden|green] grass", "an acacia tree", "a [mossy|fallen|bare] branch", "a [muddy|shallow] river",
        "[snow|frost] on its fur", "[blurred|dark green|creamy] background", "{n} [birds|ducks|geese] in the background",
        "a watering hole", "rocks", "a [wooden|wire] fence", "a [red|old] barn", "a [hay bale|pile of hay]",
        "reeds", "[lily pads|water lilies]", "a [tree trunk|log]", "[distant|blue] hills", "its [cub|calf|chick]",
        "ripples on the water", "a [fish|insect] in its beak", "[red|yellow|orange] autumn leaves", "a snowy bank",
    ), art=0.1),
    D("people", 8, ("indoor", "day", "studio", "night"), (
        "a [close-up|head-and-shoulders|candid|full-length|side-profile|studio] portrait of {person} [in a {garment}|with {color} earrings|wearing glasses|]",
        "{person} in a {garment} [sitting|standing|walking|reading|laughing|smiling|looking out of a window|leaning against a wall] [in a park|on a bench|in a kitchen|on a street|in a café|at a desk|on a balcony|by the sea]",
        "{people} [sitting|standing|walking|laughing|talking|having a picnic|eating together] [in a park|at a table|on a beach|on the steps|around a campfire|in a garden]",
        "{person} [cooking|painting|playing the guitar|playing the piano|working on a laptop|gardening|riding a bicycle|jogging|doing yoga|taking a photo]",
        "a [bride and groom|wedding couple] [on the steps of a church|in a garden|dancing]",
        "{person} [holding|carrying] [a baby|a bouquet of {flower}|a cup of coffee|an umbrella|a shopping bag|a surfboard]",
        "[a chef|a potter|a carpenter|a mechanic|a fisherman|a baker|a nurse|a farmer|a construction worker|a tailor] at work [in a workshop|in a kitchen|in a garage|on a boat|in a field|]",
        "{people} at a [birthday party|dinner party|concert|festival|wedding|graduation]",
        "a [busy|crowded|open-plan] office with people working at desks",
        "a [classroom|lecture hall|library] with students",
    ), (
        "{person} in a {garment}", "a {garment}", "[round|black-rimmed|thin] glasses", "a [straw|wide-brimmed|{color}] hat",
        "[long|short|curly|wavy|straight] [brown|black|blonde|red|grey] hair", "a [gentle|broad|shy] smile",
        "a [silver|gold] necklace", "a {color} backpack", "a [leather|canvas|{color}] bag", "a [wristwatch|smartwatch]",
        "a [book|newspaper|smartphone|tablet] in [her|his] hands", "a cup of coffee", "a {color} umbrella",
        "[blurred|out-of-focus] people in the background", "a {color} wall behind", "a [window|doorway] behind",
        "a bouquet of {flower}", "a [guitar|violin|camera|bicycle]", "{n} balloons", "a birthday cake with candles",
        "string lights", "a [wooden|park] bench", "a [laptop|notebook] on the table", "a [dog|{dog}] at [her|his] feet",
    ), art=0.15),
    D("sports", 4, ("day", "night", "indoor"), (
        "{person} [playing tennis|playing basketball|surfing|skateboarding|skiing|snowboarding|running a marathon|swimming laps|rock climbing|kicking a football|riding a horse|cycling uphill|kayaking]",
        "a [football|soccer|rugby|cricket|baseball] match [in a stadium|on a local pitch|in the rain]",
        "a [tennis court|basketball court|running track|swimming pool|skate park|ski slope|golf course|boxing ring|climbing wall] {weather}",
        "[runners|cyclists|swimmers] [in a race|crossing the finish line|at the start line]",
        "a surfer riding a [big|small|breaking] wave",
        "a [gym|yoga studio|dojo] with [equipment|mats|people training]",
    ), (
        "a [football|basketball|tennis ball|volleyball|rugby ball|golf ball]", "a {color} jersey with a number",
        "a [wooden|carbon] [tennis racket|hockey stick|baseball bat|surfboard|skateboard|snowboard]", "a crowd in the stands",
        "[floodlights|stadium lights]", "[white lines|painted lines] on the [grass|court|track]", "a [net|goal|hoop]",
        "a [referee|coach] in {color}", "{n} players in {color} kit", "spray from the wave", "[skis|ski poles]",
        "a [red|yellow|blue] helmet", "a [finish line banner|scoreboard]", "[dumbbells|kettlebells|barbells]",
        "a [yoga mat|water bottle|towel]", "[snow|chalk|dust] in the air", "a [kayak|canoe|paddle]", "[lane ropes|starting blocks]",
    ), art=0.05),
    D("vehicle", 5, ("day", "night"), (
        "a {car} [parked|driving|stopped] [on a country road|on a city street|in a driveway|by the sea|in a car park|in the desert|at a petrol station]",
        "a [steam|freight|high-speed|commuter|old|red] train [crossing a bridge|at a station|in the mountains|in motion]",
        "a [busy|empty|old|modern] [railway station platform|bus station|airport terminal|ferry terminal|metro station]",
        "a [sailing boat|fishing boat|rowing boat|yacht|cargo ship|ferry|canal boat|speedboat] [in a harbour|at sea|on a lake|moored at a pier]",
        "a [passenger plane|small plane|propeller plane|helicopter|hot air balloon] [in the sky|taking off|on the runway|landing]",
        "a [motorbike|scooter|vintage motorcycle|bicycle|tandem bicycle|cargo bike] [parked against a wall|on a mountain road|by the roadside]",
        "a [traffic jam|highway|motorway|mountain road|coastal road|bridge] {weather}",
        "a [vintage|restored|rusty|abandoned|classic] {car}",
        "the [interior|dashboard|cockpit|cabin] of a [car|plane|train|bus]",
        "a [tractor|combine harvester|digger|crane|fire engine|ambulance|garbage truck] [in a field|on a building site|on the street]",
    ), (
        "[chrome|shiny|rusty] [wheels|bumper|hubcaps]", "a [licence|license] plate", "[headlights|tail lights] on",
        "{n} {car}s", "a [rail|railway] track", "overhead power lines", "a [station|platform] clock", "{n} passengers",
        "a [harbour|marina] with boats", "[seagulls|gulls] above", "[contrails|white clouds] in the sky", "a [runway|tarmac]",
        "a [winding|empty|wet] road", "road markings", "a [petrol pump|gas pump]", "a [steering wheel|dashboard]",
        "a [helmet|leather jacket] on the seat", "[mountains|hills] in the background", "a [lighthouse|pier]",
        "[autumn|green|palm] trees along the road", "smoke from the chimney", "a [traffic cone|road sign]",
        "{person} [behind the wheel|on the platform|leaning on the car]", "a [red|blue|white] sail",
    ), art=0.15),
    D("architecture", 5, ("day", "night"), (
        "a [gothic|baroque|medieval|modern|brutalist|art deco|Victorian|colonial|Moorish] [cathedral|church|castle|palace|tower|library|museum|town hall|mosque|temple] {weather}",
        "the [facade|façade|entrance|courtyard|roof|dome] of a [historic|modern|grand|crumbling|ornate] building",
        "an [old|ancient|ruined|abandoned] [stone farmhouse|barn|mill|factory|castle|chapel|warehouse|temple]",
        "a [modern|minimalist|glass|wooden|concrete] house [on a hillside|by a lake|in the woods|on the coast]",
        "the [interior|nave|atrium|lobby|staircase|hall] of a [cathedral|museum|station|library|hotel|shopping mall]",
        "a [spiral|grand|narrow|concrete] staircase [, {view}|]",
        "a [stone|iron|suspension|wooden|arched] bridge over a [river|gorge|canal] {weather}",
        "a [small|whitewashed|thatched|log] [cottage|house|chapel] {weather}",
        "a [Japanese|Chinese|Thai] [temple|pagoda|shrine] [with a red gate|in a garden|]",
        "a [lighthouse|windmill|water tower|clock tower] {weather}",
    ), (
        "[arched|tall|stained glass|round|shuttered] windows", "a [wooden|heavy|arched|{color}] door", "[stone|marble|ionic] columns",
        "a [red|slate|tiled|thatched|copper] roof", "[ivy|climbing roses] on the walls", "a [bell tower|spire|dome|clock]",
        "[stone|marble|wooden] steps", "a [fountain|statue] in front", "[ornate|carved] decorations", "a [courtyard|cloister]",
        "[scaffolding|cranes]", "[blue|cloudy|clear] sky above", "{n} {trees}", "a [garden|lawn|hedge]", "a [gravel|stone] path",
        "{n} tourists", "[pigeons|birds] on the roof", "a [chandelier|vaulted ceiling|mosaic floor]", "a [wrought iron|wooden] railing",
        "[reflections|a reflection] in the water", "[lanterns|flags]", "a [balcony|terrace] with flowers",
    ), art=0.2),
    D("objects", 6, ("studio", "indoor"), (
        "a [still life|product shot|close-up|flat lay|top-down shot] of {thing} [on a {material} table|on a {color} background|on a white background|on a {fabric} cloth|]",
        "{thing} [on a {wood} desk|on a shelf|on a windowsill|on a {color} surface|in a shop window|on a workbench]",
        "a [collection|row|pile|stack|set] of {things} [on a table|on a shelf|in a box|]",
        "a [vintage|modern|handmade|antique] {thing} [, {view}|]",
    ), (
        "{n} {things}", "{thing}", "a {color} background", "a [soft|hard] shadow", "a [sprig|branch] of [eucalyptus|olive|lavender]",
        "a {color} ribbon", "[scattered|dried] petals", "a {fabric} cloth", "a [small|glass] vase", "[a few|two] books",
        "a [pair of|] [reading glasses|sunglasses]", "a [candle|lit candle]", "a [notebook|pen|pencil]", "a [marble|wooden] tray",
        "a [reflection|reflections] on the surface", "[water droplets|condensation]", "a [price tag|label]",
    ), art=0.25),
    D("night", 4, ("night",), (
        "a [city street|busy avenue|quiet square|harbour|bridge|market|alley|highway|fairground|train station] at night [in {city}|in the rain|]",
        "the skyline of {city} at night",
        "a [lit|glowing|neon-lit] [shop front|diner|bar|ramen shop|kiosk|petrol station] at night",
        "[fireworks|lanterns|a bonfire|a campfire] [over the water|in the night sky|on the beach|in a field]",
        "a [quiet|empty|snowy|rainy] [road|car park|platform] under street lights",
        "a [Ferris wheel|carousel|funfair] lit up at night",
        "the [moon|full moon|crescent moon] over [rooftops|the sea|a mountain|a city]",
        "a [tent|cabin|house] glowing in the dark [under the stars|in the forest|]",
    ), (
        "[neon|glowing] signs in {color} and {color}", "light trails from cars", "[wet|shiny] asphalt", "{n} street lamps",
        "[lit|glowing] windows", "{person} [with an umbrella|in a {garment}|silhouetted]", "a [red|yellow] taxi",
        "[reflections|reflection] in puddles", "the [moon|stars]", "[bokeh|blurred lights]", "[steam|smoke] rising from a vent",
        "{n} [paper lanterns|fairy lights|lanterns]", "a [dark|black|starry] sky", "a [bridge|tower] lit up",
        "[fireworks|sparks] in the sky", "silhouettes of people", "a [vending machine|phone box]",
    ), art=0.2),
    D("macro", 3, ("day", "studio"), (
        "a [macro|close-up|extreme close-up] [photo|shot|view] of a [bee|butterfly|ladybird|ladybug|dragonfly|spider|ant|snail|beetle|grasshopper|moth|caterpillar] on a {color} flower",
        "[dew drops|water droplets|raindrops] on a [leaf|spider web|blade of grass|rose petal|window]",
        "a close-up of {flower} [petals|stamens|in bloom]",
        "a [frosty|wet|green|autumn|dry] leaf [close-up|with visible veins]",
        "a close-up of [moss|lichen|tree bark|a mushroom|pine cones|a seashell|a feather|an eye|a watch mechanism|snowflakes]",
        "a [tiny|small|delicate] [mushroom|seedling|sprout|insect|flower] [on the forest floor|in the moss|in the grass]",
    ), (
        "[creamy|soft|blurred] {color} background", "[tiny|glistening] water droplets", "[fine|delicate] hairs on its legs",
        "[pollen|dust] on its body", "[translucent|veined|iridescent] wings", "a [green|curled|dry] leaf", "a [thin|green] stem",
        "a [spider web|cobweb]", "[frost crystals|ice crystals]", "[bokeh|soft circles of light]", "[yellow|orange] pollen",
        "[moss|soil|bark] texture", "a [second|smaller] insect", "{color} petals",
    ), art=0.05),
    D("garden", 3, ("day",), (
        "a [lush|overgrown|formal|cottage|Japanese|vegetable|rooftop|walled|community] garden {weather}",
        "a [greenhouse|allotment|flower bed|herb garden|rose garden|orchard] [full of plants|in bloom|]",
        "a [backyard|back garden|patio|terrace] with [a lawn|a barbecue|garden furniture|a trampoline|a vegetable patch]",
        "a [botanical garden|park|city park|public garden] with [a pond|paths|a lake|flower beds] {weather}",
    ), (
        "{flower}", "[raised beds|flower beds] of {veg}", "a [wooden|metal|{color}] garden bench", "a [watering can|wheelbarrow|rake|spade]",
        "a [terracotta|{color}] flower pot", "a [green|neatly mowed|overgrown] lawn", "a [gravel|brick|stone] path", "a [hedge|trellis|arch]",
        "a [bird bath|fountain|pond|small pond with lily pads]", "{n} {trees}", "[climbing roses|ivy] on a wall", "a [garden shed|greenhouse]",
        "a [hammock|parasol|sun lounger]", "{person} [watering plants|kneeling by a flower bed|picking {veg}]", "a {bird} on a branch",
        "a [wooden|picket|white] fence", "a [stone|garden] statue", "{n} [butterflies|bees]",
    ), art=0.25),
    D("market", 3, ("day", "indoor"), (
        "a [farmers'|fish|flower|flea|spice|fruit and vegetable|night|Christmas|street] market [stall|in {city}|in a town square|]",
        "a [grocery|corner|hardware|toy|book|antique|record|gift|bicycle] shop [interior|window|counter]",
        "a supermarket aisle with [shelves of products|fresh produce|cereal boxes]",
        "a [stall|crate|display] piled with {fruit} and {veg}",
        "a [bookshop|library] with [tall|wooden|floor-to-ceiling] shelves",
    ), (
        "crates of {fruit}", "baskets of {veg}", "a [hand-written|chalkboard] price sign", "a {color} [awning|canopy|umbrella]",
        "{person} [buying|selling|weighing] {veg}", "{n} shoppers", "bunches of {flower}", "[hanging|strings of] lights",
        "[sacks|bowls] of [spices|rice|beans|nuts]", "[shelves|racks] of [books|records|clothes|bottles]", "a [cash register|till|scale]",
        "a [vendor|shopkeeper] in a {garment}", "[paper bags|plastic bags|tote bags]", "[fish on ice|cheeses|loaves of bread]",
    ), art=0.15),
    D("underwater", 1, ("under",), (
        "an [underwater|coral] reef with [colourful|tropical] fish",
        "a [sea turtle|shark|manta ray|school of fish|jellyfish|dolphin|octopus|whale] [swimming|gliding] in [clear|deep|blue] water",
        "a [scuba diver|snorkeller|freediver] [exploring a reef|over a shipwreck|in a kelp forest]",
        "[sunlit|shallow] water over a sandy sea floor",
    ), (
        "[orange|yellow|blue|striped] fish", "[branching|brain|soft|pink] coral", "[bubbles|air bubbles] rising", "[kelp|seaweed]",
        "[rays of sunlight|sunbeams] from the surface", "a [sandy|rocky] sea floor", "a [starfish|sea urchin|anemone]",
        "a [diver|snorkeller] in a {color} wetsuit", "a [shipwreck|anchor]", "[a school of|many] small silver fish",
    ), art=0.1),
    D("workplace", 3, ("indoor",), (
        "a [carpenter's|woodworking|mechanic's|pottery|sewing|bicycle repair|jewellery] workshop [with tools on the walls|]",
        "a [science|chemistry|computer|school] [lab|laboratory|classroom] [with benches|with equipment|]",
        "a [hospital|doctor's|dentist's] [room|ward|surgery] [with medical equipment|]",
        "a [factory floor|warehouse|loading dock|server room|control room|recording studio|photo studio|artist's studio]",
        "a [cluttered|tidy|organised] [desk|workbench|drawing table] [with tools|with papers|with paint]",
        "a [commercial|restaurant|professional] kitchen with [chefs|steel counters|hanging pans]",
    ), (
        "[hand tools|spanners|screwdrivers|chisels] on a pegboard", "a [wooden|metal] workbench", "[sawdust|wood shavings] on the floor",
        "a [potter's wheel|sewing machine|lathe|drill press|microscope|computer monitor|mixing desk]", "[shelves|racks] of [boxes|jars|paint tins]",
        "[brushes|paint tubes] in a jar", "a [half-finished|clay] [vase|bowl|chair|painting]", "{person} in a {garment}",
        "[safety goggles|ear defenders|a hard hat]", "[glass beakers|test tubes|flasks]", "a [whiteboard|blackboard] with [diagrams|writing]",
        "[cables|wires] on the floor", "[fluorescent|industrial] lights", "[cardboard boxes|pallets|crates] stacked high", "a forklift truck",
        "[stainless steel|metal] counters", "[copper|steel] pans hanging", "a [canvas|easel]",
    ), art=0.1),
    D("winter", 3, ("day", "night"), (
        "a [snowy|frozen|icy|snow-covered] [village|street|forest|park|mountain hut|cabin|lake|field] {weather}",
        "{people} [skating on a frozen lake|building a snowman|sledging down a hill|having a snowball fight]",
        "a [Christmas|winter] [market|street|living room] [with decorations|with lights|]",
        "a [ski resort|ski lift|snowy mountain pass|mountain road in the snow]",
    ), (
        "[deep|fresh|powdery] snow", "[icicles|frost] on the [roof|branches|windows]", "a [snowman|sledge|pair of skis]",
        "[snow-covered|frosted] {trees}", "a [decorated|lit] Christmas tree", "[fairy lights|string lights]", "{n} [wrapped presents|baubles]",
        "{person} in a {garment}", "[footprints|ski tracks] in the snow", "a [wooden|log] cabin with smoke from the chimney",
        "[falling snow|snowflakes]", "a [frozen|icy] [pond|river]", "a [mug of hot chocolate|steaming mug]", "[red|woolly] mittens",
    ), art=0.2),
    D("art", 3, ("studio", "day", "indoor", "night"), (
        "a [fantasy|whimsical|cute|surreal|futuristic|dreamy|retro-futuristic] [castle|city|landscape|village|forest|spaceship|robot|creature|treehouse] [on a cliff|in the clouds|at sunset|under the sea|on a floating island|]",
        "a [cute|friendly|tiny|giant|steampunk|cartoon] [robot|dragon|fox|owl|cat|bear|monster|astronaut|knight|wizard] [reading a book|in a forest|on the moon|in a city|having tea|flying]",
        "an [alien|sci-fi|cyberpunk|post-apocalyptic|medieval|magical] [city|street|planet|desert|forest|market] {weather}",
        "an [abstract|geometric|minimal] composition of [circles|shapes|lines|waves] in {color} and {color}",
        "a [cosy|magical|tiny] [cottage|library|shop|room] [full of books|with glowing lights|in the woods]",
        "{person} [reading|dancing|flying|walking] [among the stars|in a field of {flower}|under a giant moon|in the rain]",
    ), (
        "[glowing|floating] [lanterns|crystals|orbs|islands]", "a [giant|full|crescent] moon", "[swirling|fluffy|pink] clouds",
        "[stars|planets] in the sky", "a [winding|spiral] [path|staircase]", "{color} and {color} [shapes|patterns]",
        "a [tiny|small] [door|window] glowing", "[vines|flowers] everywhere", "[mushrooms|toadstools]", "a [waterfall|river] of light",
        "{n} [birds|butterflies|fireflies]", "[towers|spires|domes]", "a [hot air balloon|airship|spaceship]", "[gears|cogs|pipes]",
    ), art=0.95),
)

DISHES = [
    "spaghetti with tomato sauce", "spaghetti carbonara", "margherita pizza", "pepperoni pizza", "a cheeseburger and fries",
    "a bowl of ramen with a soft-boiled egg", "sushi rolls", "assorted sushi", "pancakes with maple syrup and berries",
    "a full English breakfast", "avocado toast with a poached egg", "a Greek salad", "a Caesar salad", "a green salad",
    "tacos with salsa", "a burrito cut in half", "chicken curry with rice", "pad thai", "fried rice", "dumplings",
    "a bowl of pho", "croissants and coffee", "a chocolate cake", "a slice of strawberry cheesecake", "an apple pie",
    "crème brûlée", "tiramisu", "macarons", "glazed doughnuts", "cinnamon rolls", "a loaf of sourdough bread",
    "a cheese board with grapes and crackers", "grilled salmon with vegetables", "a roast chicken", "a steak with chips",
    "fish and chips", "a bowl of tomato soup", "a bowl of porridge with fruit", "granola with yoghurt and berries",
    "a smoothie bowl", "a fruit salad", "scrambled eggs on toast", "eggs benedict", "a club sandwich",
    "a bagel with cream cheese and salmon", "paella", "lasagne", "risotto with mushrooms", "a bowl of noodles",
    "a hot dog with mustard", "falafel with hummus", "a kebab", "dim sum in bamboo steamers", "a bowl of chili",
    "grilled vegetables", "a vegetable stir-fry", "a plate of oysters", "a seafood platter", "waffles with ice cream",
    "ice cream cones", "a cupcake with pink frosting", "chocolate chip cookies", "a baguette and cheese", "a charcuterie board",
    "mango sticky rice", "a bowl of cereal with milk", "a quiche", "a stack of toast with butter", "gnocchi with pesto",
]

OBJECT_THINGS = [
    ("a [vintage|film|old|instant] camera", "cameras"), ("a [mechanical|leather-strapped|gold|silver] wristwatch", "watches"),
    ("a [pair of|] [white|{color}] sneakers", "sneakers"), ("a {color} handbag", "handbags"), ("a [glass|{color}] perfume bottle", "perfume bottles"),
    ("a [ceramic|{color}] teapot", "teapots"), ("a [vinyl record|record player]", "vinyl records"), ("a [mechanical|vintage] typewriter", "typewriters"),
    ("a [leather|hardback|old] book", "old books"), ("a [{color}|glass|ceramic] vase", "vases"), ("a [smartphone|tablet]", "smartphones"),
    ("a [pair of|] headphones", "headphones"), ("a [brass|{color}] desk lamp", "lamps"), ("a [{color}|rubber] toy duck", "toy cars"),
    ("a [succulent|cactus|bonsai tree] in a pot", "succulents in pots"), ("a [bottle|glass] of wine", "wine bottles"),
    ("a [wooden|plastic|tin] toy", "toy soldiers"), ("a [leather|{color}] wallet", "keys"), ("a [globe|compass|map]", "maps"),
    ("a [chess board|chess piece]", "chess pieces"), ("a [scented|{color}|lit] candle", "candles"), ("a [fountain pen|pencil]", "pencils"),
    ("a [skull|seashell|pine cone|feather]", "seashells"), ("a [bottle|jar] of [honey|jam|olive oil]", "jars"),
    ("a [lipstick|makeup brush|compact mirror]", "makeup brushes"), ("a [bar of soap|bottle of shampoo]", "bottles"),
    ("a [pair of|] sunglasses", "sunglasses"), ("a [game controller|keyboard|computer mouse]", "computer parts"),
    ("a [guitar|ukulele|violin|trumpet]", "musical instruments"), ("a [houseplant|fern] in a {color} pot", "plants in pots"),
    ("an [hourglass|alarm clock|pocket watch]", "clocks"), ("a [Rubik's cube|jigsaw puzzle|deck of cards]", "playing cards"),
    ("a [knitted|wool|{color}] scarf", "balls of yarn"), ("a [silver|gold|diamond] ring", "rings"), ("a [coffee|tea] cup and saucer", "cups"),
]

DISH_SLOT = DISHES
THING_SLOT = [t for t, _ in OBJECT_THINGS]
THINGS_SLOT = [p for _, p in OBJECT_THINGS]
SLOTS["birds"] = [b + ("es" if b.endswith("ch") else "s") for b in SLOTS["bird"]]
SLOTS["dish"] = DISH_SLOT
SLOTS["thing"] = THING_SLOT
SLOTS["things"] = THINGS_SLOT

# ---------------------------------------------------------------------------
# Generator
# ---------------------------------------------------------------------------

_SLOT_RE = re.compile(r"\{([a-z]+)\}")
_ALT_RE = re.compile(r"\[([^\[\]]*)\]")


def fill(template: str, rng: random.Random) -> str:
    """Expand ``[a|b]`` alternatives and ``{slot}`` references until none remain."""
    text = template
    for _ in range(20):
        new = _ALT_RE.sub(lambda m: rng.choice(m.group(1).split("|")), text)
        new = _SLOT_RE.sub(lambda m: rng.choice(SLOTS[m.group(1)]), new)
        if new == text:
            break
        text = new
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+,", ",", text).strip(" ,")
    return _ARTICLE_RE.sub(_article, text)


_ARTICLE_RE = re.compile(r"\b([Aa])n? (?=([A-Za-z]+))")


def _article(m: re.Match) -> str:
    """"a"/"an" chosen by the next word's sound (the common English cases)."""
    word = m.group(2).lower()
    vowel = word[0] in "aeio" or (word[0] == "u" and not word.startswith(("uni", "uku", "use", "uro"))) or word.startswith("hour")
    return m.group(1) + ("n " if vowel else " ")


_HAS_PLACE = re.compile(r"\b(on|in|at|behind|by|along|near|under|above|over|against|beside|from)\b")


def _maybe_position(obj: str, rng: random.Random) -> str:
    if rng.random() < 0.22 and len(obj) < 70 and not _HAS_PLACE.search(obj):
        return f"{obj} {rng.choice(SLOTS['pos'])}"
    return obj


def _objects(domain: Domain, rng: random.Random) -> list[str]:
    k = rng.choices([0, 1, 2, 3, 4, 5, 6, 7, 8], weights=[2, 10, 20, 24, 18, 12, 7, 4, 3])[0]
    out: list[str] = []
    tries = 0
    while len(out) < k and tries < 50:
        tries += 1
        base = fill(rng.choice(domain.objects), rng)
        if any(o.startswith(base) for o in out):
            continue
        obj = _maybe_position(base, rng)
        if len(obj.encode("utf-8")) <= 110:
            out.append(obj)
    return out


def _lighting(domain: Domain, rng: random.Random) -> str:
    if rng.random() < 0.06:
        return ""
    phrase = fill(rng.choice(LIGHTING[rng.choice(domain.light)]), rng)
    if rng.random() < 0.12:
        phrase += ", " + rng.choice(["warm tones", "cool tones", "muted colours", "vivid colours", "high contrast",
                                     "low contrast", "pastel tones", "moody atmosphere", "calm mood", "soft shadows"])
    return phrase


def _style(domain: Domain, rng: random.Random) -> str | None:
    # Describers leave style null for ordinary photographs, so most prompts have none.
    if domain.art > 0.9:
        return fill(rng.choice(STYLES_ART), rng) if rng.random() < 0.97 else None
    if rng.random() < 0.55:
        return None
    pool = STYLES_ART if rng.random() < domain.art else STYLES_PHOTO
    style = fill(rng.choice(pool), rng)
    if rng.random() < 0.1:
        style += ", " + rng.choice(["highly detailed", "soft colours", "muted palette", "vibrant colours",
                                    "minimalist", "textured paper", "visible brushstrokes", "sharp details"])
    return style


def _scene(domain: Domain, rng: random.Random) -> str:
    scene = fill(rng.choice(domain.scenes), rng)
    if rng.random() < 0.15 and "{view}" not in scene and len(scene) < 150:
        scene += ", " + fill(rng.choice(SLOTS["view"]), rng)
    if rng.random() < 0.04:
        scene = scene[0].upper() + scene[1:]
    return scene


def make_prompt(rng: random.Random) -> dict:
    domain = rng.choices(DOMAINS, weights=[d.weight for d in DOMAINS])[0]
    data: dict = {"scene": _scene(domain, rng), "objects": _objects(domain, rng), "lighting": _lighting(domain, rng)}
    style = _style(domain, rng)
    if style is not None:
        data["style"] = style
    return data


def canonical_text(data: dict) -> str:
    parts = [data["scene"], *data["objects"]]
    if data["lighting"]:
        parts.append(data["lighting"])
    if data.get("style"):
        parts.append(data["style"])
    return ", ".join(parts)


def generate(count: int = COUNT, seed: int = SEED) -> list[dict]:
    """``count`` distinct prompts, a pure function of (count, seed)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[dict] = []
    while len(out) < count:
        data = make_prompt(rng)
        size = len(canonical_text(data).encode("utf-8"))
        if not MIN_TEXT_BYTES <= size <= MAX_TEXT_BYTES:
            continue
        key = json.dumps(data, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        out.append(data)
    return out


def dumps(prompts: list[dict]) -> str:
    return "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in prompts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default=str(Path(__file__).resolve().parent.parent / "corpus" / "train-v1.jsonl"))
    ap.add_argument("--count", type=int, default=COUNT)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    text = dumps(generate(args.count, args.seed))
    Path(args.output).write_text(text, encoding="utf-8")
    print(f"wrote {args.count} prompts ({len(text.encode('utf-8'))} bytes) to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
